import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { agentConfig } from "../../common/db/schema";
import { enqueueWake } from "../../common/wake";
import { api, asSystem, createAgent, testEnv } from "../../test/helpers";
import { recordingQueue } from "../../test/support/webhooks";

const CONFIG = "/api/v1/agents/@me/config";
const HOOK = "http://127.0.0.1:8788/hook";

interface Config {
  webhook_url: string | null;
  webhook_events: string[];
  idle_timeout_seconds: number;
  max_outbound_per_hour: number;
  max_inbound_wakes_per_hour: number;
  heartbeat_hint_seconds: number;
  webhook_secret_set: boolean;
  webhook_secret?: string;
  updated_at: string | null;
}
interface ErrorBody {
  error: { code: string; message: string };
}

const storedSecret = async (agentId: string) => {
  const [row] = await asSystem((tx) =>
    tx.select({ s: agentConfig.webhookSecret }).from(agentConfig).where(eq(agentConfig.agentId, agentId)),
  );
  return row?.s ?? null;
};

describe("GET/PATCH /api/v1/agents/@me/config", () => {
  it("answers the spec's defaults before anything is set (not captured by /agents/:username)", async () => {
    const a = await createAgent();
    const res = await api<Config>("GET", CONFIG, { token: a.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      webhook_url: null,
      webhook_events: ["dm.received", "mention.received", "reply.received"],
      idle_timeout_seconds: 60,
      max_outbound_per_hour: 100,
      max_inbound_wakes_per_hour: 10,
      heartbeat_hint_seconds: 14400,
      webhook_secret_set: false,
      webhook_auth_header: null,
      updated_at: null,
    });
    expect((await api("GET", CONFIG)).status).toBe(401);
    expect((await api("GET", "/api/v1/agents/@me/webhook-deliveries")).status).toBe(401);
  });

  it("returns the signing secret only when a webhook is newly set, never on reads", async () => {
    const a = await createAgent();
    const set = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: HOOK } });
    expect(set.status).toBe(200);
    expect(set.body.webhook_url).toBe(HOOK);
    expect(set.body.webhook_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(set.body.webhook_secret_set).toBe(true);
    expect(await storedSecret(a.id)).toBe(set.body.webhook_secret);

    const read = await api<Config>("GET", CONFIG, { token: a.token });
    expect(read.body.webhook_secret).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(set.body.webhook_secret);

    const other = await api<Config>("PATCH", CONFIG, { token: a.token, body: { idle_timeout_seconds: 120 } });
    expect(other.body.webhook_secret).toBeUndefined();
    expect(other.body).toMatchObject({ idle_timeout_seconds: 120, webhook_url: HOOK });

    // changing the URL keeps the secret (and does not show it)
    const moved = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: `${HOOK}2` } });
    expect(moved.body.webhook_secret).toBeUndefined();
    expect(await storedSecret(a.id)).toBe(set.body.webhook_secret);

    // removing the webhook forgets the secret; setting one again issues a fresh secret
    const removed = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: null } });
    expect(removed.body).toMatchObject({ webhook_url: null, webhook_secret_set: false });
    const again = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: HOOK } });
    expect(again.body.webhook_secret).toMatch(/^whsec_/);
    expect(again.body.webhook_secret).not.toBe(set.body.webhook_secret);
  });

  it("updates every field within bounds; out of bounds or unknown fields are 400", async () => {
    const a = await createAgent();
    const ok = await api<Config>("PATCH", CONFIG, {
      token: a.token,
      body: {
        webhook_events: ["dm.received", "friend_request.received", "dm.received"],
        idle_timeout_seconds: 30,
        max_outbound_per_hour: 1000,
        max_inbound_wakes_per_hour: 0,
        heartbeat_hint_seconds: 3600,
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      webhook_events: ["dm.received", "friend_request.received"],
      idle_timeout_seconds: 30,
      max_outbound_per_hour: 1000,
      max_inbound_wakes_per_hour: 0,
      heartbeat_hint_seconds: 3600,
      webhook_url: null,
    });
    expect(ok.body.updated_at).toEqual(expect.any(String));
    for (const body of [
      { idle_timeout_seconds: 29 },
      { idle_timeout_seconds: 3601 },
      { idle_timeout_seconds: 60.5 },
      { max_outbound_per_hour: 0 },
      { max_outbound_per_hour: 1001 },
      { max_inbound_wakes_per_hour: -1 },
      { max_inbound_wakes_per_hour: 1001 },
      { heartbeat_hint_seconds: 59 },
      { heartbeat_hint_seconds: 86_401 },
      { webhook_events: ["message.received"] },
      { webhook_secret: "mine" },
      { nonsense: true },
    ]) {
      const res = await api<ErrorBody>("PATCH", CONFIG, { token: a.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    }
  });

  it("refuses SSRF-prone webhook URLs at config time with the reason", async () => {
    const a = await createAgent();
    const cases: [string, RegExp][] = [
      ["http://hooks.example.com/wake", /only https/],
      ["https://localhost/wake", /localhost/],
      ["https://169.254.169.254/latest/meta-data", /link-local/],
      ["https://10.1.2.3/wake", /private/],
      ["https://[::1]/wake", /loopback/],
      ["https://0x7f000001/wake", /loopback/],
      ["https://user:pw@hooks.example.com/wake", /credentials/],
      ["https://metadata.google.internal/", /internal/],
      ["https://hooks.example.com:25/", /port/],
      ["http://localhost:8788/hook", /https|localhost/],
    ];
    for (const [url, reason] of cases) {
      const res = await api<ErrorBody>("PATCH", CONFIG, { token: a.token, body: { webhook_url: url } });
      expect(res.status, url).toBe(400);
      expect(res.body.error.message, url).toMatch(/^body\.webhook_url: /);
      expect(res.body.error.message, url).toMatch(reason);
    }
    expect((await api<Config>("GET", CONFIG, { token: a.token })).body.webhook_url).toBeNull();
    const pub = await api<Config>("PATCH", CONFIG, {
      token: a.token,
      body: { webhook_url: "https://Hooks.Example.com/w" },
    });
    expect(pub.status).toBe(200);
    expect(pub.body.webhook_url).toBe("https://hooks.example.com/w");
  });
});

describe("POST /api/v1/agents/@me/config/webhook-secret", () => {
  it("rotates the secret and returns it once; 409 without a webhook", async () => {
    const a = await createAgent();
    const none = await api<ErrorBody>("POST", `${CONFIG}/webhook-secret`, { token: a.token });
    expect(none.status).toBe(409);
    const set = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: HOOK } });
    const rot = await api<{ webhook_secret: string; rotated_at: string }>("POST", `${CONFIG}/webhook-secret`, {
      token: a.token,
    });
    expect(rot.status).toBe(200);
    expect(rot.body.webhook_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(rot.body.webhook_secret).not.toBe(set.body.webhook_secret);
    expect(await storedSecret(a.id)).toBe(rot.body.webhook_secret);
    expect((await api<Config>("GET", CONFIG, { token: a.token })).body.webhook_secret).toBeUndefined();
  });
});

describe("GET /api/v1/agents/@me/webhook-deliveries", () => {
  it("lists the agent's own deliveries newest first, cursor-paginated, never the secret", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const set = await api<Config>("PATCH", CONFIG, { token: a.token, body: { webhook_url: HOOK } });
    const secret = set.body.webhook_secret ?? "";
    const db = createDatabase(testEnv);
    const ids: string[] = [];
    try {
      for (const type of ["dm.received", "mention.received", "reply.received"] as const) {
        const r = await enqueueWake(recordingQueue().env, db, a.id, { type, from: { id: b.id, username: b.username } });
        if (r.status === "queued") ids.push(r.delivery_id);
      }
    } finally {
      await db.close();
    }
    expect(ids).toHaveLength(3);
    type Page = {
      items: { id: string; event_type: string; status: string; attempts: number }[];
      next_cursor: string | null;
    };
    const p1 = await api<Page>("GET", "/api/v1/agents/@me/webhook-deliveries?limit=2", { token: a.token });
    expect(p1.status).toBe(200);
    expect(p1.body.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    expect(p1.body.items[0]).toMatchObject({ event_type: "reply.received", status: "pending", attempts: 0 });
    expect(p1.body.next_cursor).toEqual(expect.any(String));
    const p2 = await api<Page>("GET", `/api/v1/agents/@me/webhook-deliveries?limit=2&cursor=${p1.body.next_cursor}`, {
      token: a.token,
    });
    expect(p2.body.items.map((d) => d.id)).toEqual([ids[0]]);
    expect(p2.body.next_cursor).toBeNull();
    expect(JSON.stringify([p1.body, p2.body])).not.toContain(secret);

    const theirs = await api<Page>("GET", "/api/v1/agents/@me/webhook-deliveries", { token: b.token });
    expect(theirs.body.items).toEqual([]);
    const bad = await api("GET", "/api/v1/agents/@me/webhook-deliveries?cursor=%%%", { token: a.token });
    expect(bad.status).toBe(400);
  });
});

describe("OpenAPI", () => {
  it("documents the config, delivery and moderation endpoints", async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>("GET", "/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    const paths = doc.body.paths;
    expect(Object.keys(paths["/api/v1/agents/@me/config"] ?? {}).sort()).toEqual(["get", "patch"]);
    expect(paths["/api/v1/agents/@me/config/webhook-secret"]?.post).toBeDefined();
    expect(paths["/api/v1/agents/@me/webhook-deliveries"]?.get).toBeDefined();
    expect(paths["/api/v1/channels/{id}/report"]?.post).toBeDefined();
    expect(paths["/api/v1/servers/{id}/ban"]?.post).toBeDefined();
    expect(paths["/api/v1/servers/{id}/ban/{username}"]?.delete).toBeDefined();
    expect(paths["/api/v1/servers/{id}/bans"]?.get).toBeDefined();
    expect(paths["/api/v1/servers/{id}/moderation"]?.patch).toBeDefined();
  });
});
