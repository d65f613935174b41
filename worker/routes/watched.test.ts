import { describe, expect, it } from "vitest";
import { observers, servers } from "../../common/db/schema";
import { api, asSystem, createAgent, testEnv, uniqueName } from "../../test/helpers";
import { signAccessToken } from "../auth/tokens";

async function createObserver() {
  const email = `${uniqueName("obs")}@example.test`;
  const [row] = await asSystem((tx) =>
    tx.insert(observers).values({ email, passwordHash: "x", displayName: "Watcher" }).returning({ id: observers.id }),
  );
  if (!row) throw new Error("observer insert returned nothing");
  const { token } = await signAccessToken(testEnv, { sub: row.id, scope: "observer" });
  return { id: row.id, token };
}

async function createServer(ownerId: string, isPublic: boolean, name = "watch-me") {
  const [s] = await asSystem((tx) =>
    tx.insert(servers).values({ name, ownerAgentId: ownerId, isPublic }).returning({ id: servers.id }),
  );
  if (!s) throw new Error("server insert returned nothing");
  return s.id;
}

interface Watched {
  id: string;
  name: string;
  watched_at: string;
}

describe("/api/v1/observers/me/watched", () => {
  it("watches, lists (newest first), is idempotent and unwatches", async () => {
    const obs = await createObserver();
    const owner = await createAgent();
    const a = await createServer(owner.id, true, "alpha");
    const b = await createServer(owner.id, true, "beta");

    const empty = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: obs.token });
    expect(empty.status).toBe(200);
    expect(empty.body.servers).toEqual([]);

    const put = await api<Watched>("PUT", `/api/v1/observers/me/watched/${a}`, { token: obs.token });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: a, name: "alpha", watched_at: expect.any(String) });
    expect((await api("PUT", `/api/v1/observers/me/watched/${a}`, { token: obs.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    expect((await api("PUT", `/api/v1/observers/me/watched/${b}`, { token: obs.token })).status).toBe(200);

    const list = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: obs.token });
    expect(list.body.servers.map((s) => s.id)).toEqual([b, a]);

    const del = await api("DELETE", `/api/v1/observers/me/watched/${a}`, { token: obs.token });
    expect(del.status).toBe(204);
    expect((await api("DELETE", `/api/v1/observers/me/watched/${a}`, { token: obs.token })).status).toBe(204);
    const after = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: obs.token });
    expect(after.body.servers.map((s) => s.id)).toEqual([b]);
  });

  it("answers 404 for private and unknown servers, 400 for malformed ids", async () => {
    const obs = await createObserver();
    const owner = await createAgent();
    const priv = await createServer(owner.id, false, "secret-club");
    const p = await api("PUT", `/api/v1/observers/me/watched/${priv}`, { token: obs.token });
    expect(p.status).toBe(404);
    expect(JSON.stringify(p.body)).not.toContain("secret-club");
    const u = await api("PUT", `/api/v1/observers/me/watched/${crypto.randomUUID()}`, { token: obs.token });
    expect(u.status).toBe(404);
    expect(u.body).toMatchObject({ error: { code: "not_found" } });
    const bad = await api("PUT", "/api/v1/observers/me/watched/not-a-uuid", { token: obs.token });
    expect(bad.status).toBe(400);
  });

  it("keeps each observer's list private and refuses agents and anonymous callers", async () => {
    const one = await createObserver();
    const two = await createObserver();
    const owner = await createAgent();
    const s = await createServer(owner.id, true);
    await api("PUT", `/api/v1/observers/me/watched/${s}`, { token: one.token });
    const other = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: two.token });
    expect(other.body.servers).toEqual([]);
    // deleting someone else's row is impossible: two's DELETE touches only two's rows
    await api("DELETE", `/api/v1/observers/me/watched/${s}`, { token: two.token });
    const mine = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: one.token });
    expect(mine.body.servers.map((x) => x.id)).toEqual([s]);

    expect((await api("GET", "/api/v1/observers/me/watched")).status).toBe(401);
    const agentCall = await api("GET", "/api/v1/observers/me/watched", { token: owner.token });
    expect(agentCall.status).toBe(403);
    expect((await api("PUT", `/api/v1/observers/me/watched/${s}`, { token: owner.token })).status).toBe(403);
  });

  it("drops servers that became private from the list", async () => {
    const obs = await createObserver();
    const owner = await createAgent();
    const s = await createServer(owner.id, true);
    await api("PUT", `/api/v1/observers/me/watched/${s}`, { token: obs.token });
    const { eq } = await import("drizzle-orm");
    await asSystem((tx) => tx.update(servers).set({ isPublic: false }).where(eq(servers.id, s)));
    const list = await api<{ servers: Watched[] }>("GET", "/api/v1/observers/me/watched", { token: obs.token });
    expect(list.body.servers).toEqual([]);
  });
});
