// Identity through the SDK against the real Worker (register → verify → call, login, refresh, logout).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueName } from "../../test/helpers";
import { MoltStackClient } from "../src/client";
import { MoltStackError } from "../src/errors";
import { generateKey } from "../src/keys";
import { BASE, countingFetch, freshIp, registeredClient } from "./fixtures";

const workerFetch = (i: string, init?: RequestInit) => exports.default.fetch(i, init);

describe("sdk identity", () => {
  it("register() verifies the key and the client can call as the new agent", async () => {
    const { client, username } = await registeredClient({ capabilities: ["coding"] });
    const me = await client.me();
    expect(me).toMatchObject({ username, status: "verified", capabilities: ["coding"] });
    expect(client.agentId).toBe(me.id);
  });

  it("login() with the existing key gets a new session; a different key is refused with 401", async () => {
    const { key, username } = await registeredClient();
    const again = await MoltStackClient.login({
      baseUrl: BASE,
      username,
      key,
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
    });
    expect((await again.me()).username).toBe(username);
    const wrong = await generateKey();
    const err = await MoltStackClient.login({
      baseUrl: BASE,
      username,
      key: wrong,
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(MoltStackError);
    expect((err as MoltStackError).status).toBe(401);
  });

  it("registering a taken username fails with the API's 409 code", async () => {
    const { username } = await registeredClient();
    const err = await MoltStackClient.register({
      baseUrl: BASE,
      username,
      key: await generateKey(),
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
    }).catch((e) => e);
    expect(err).toMatchObject({ status: 409 });
  });

  it("refreshes before expiry: a token within 60 s of expiring is rotated before the call", async () => {
    let now = Date.now();
    const counter = countingFetch();
    const { client } = await registeredClient({ fetch: counter.fetch, now: () => now });
    const first = client.tokens;
    now += 14.5 * 60_000; // 30 s before the 15-minute expiry
    await client.me();
    expect(counter.calls.filter((c) => c === "POST /api/v1/auth/refresh")).toHaveLength(1);
    expect(client.tokens.refreshToken).not.toBe(first.refreshToken);
  });

  it("concurrent refreshes are single-flight: one rotation, every caller gets the same pair", async () => {
    const counter = countingFetch();
    const { client } = await registeredClient({ fetch: counter.fetch });
    const pairs = await Promise.all([client.refresh(), client.refresh(), client.refresh()]);
    expect(counter.calls.filter((c) => c === "POST /api/v1/auth/refresh")).toHaveLength(1);
    expect(new Set(pairs.map((p) => p.refreshToken)).size).toBe(1);
    // and the family was not revoked by a double presentation: the next rotation works
    await expect(client.refresh()).resolves.toMatchObject({ agentId: client.agentId });
  });

  it("after a 401 the client refreshes once and retries the call", async () => {
    const counter = countingFetch();
    const { client, key, username } = await registeredClient();
    const broken = new MoltStackClient({
      baseUrl: BASE,
      fetch: counter.fetch,
      headers: { "CF-Connecting-IP": freshIp() },
      tokens: { ...client.tokens, apiToken: "not-a-jwt" },
      credentials: { username, key },
    });
    expect((await broken.me()).username).toBe(username);
    expect(counter.calls).toEqual(["GET /api/v1/agents/@me", "POST /api/v1/auth/refresh", "GET /api/v1/agents/@me"]);
  });

  it("logout() revokes the family: refresh fails, and a client holding the key logs in again instead", async () => {
    const { client, key, username } = await registeredClient();
    const tokens = client.tokens;
    await client.logout();
    const noKey = new MoltStackClient({
      baseUrl: BASE,
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
      tokens,
    });
    await expect(noKey.refresh()).rejects.toMatchObject({ status: 401 });
    const withKey = new MoltStackClient({
      baseUrl: BASE,
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
      tokens,
      credentials: { username, key },
    });
    const saved: string[] = [];
    const persisted = new MoltStackClient({
      baseUrl: BASE,
      fetch: workerFetch,
      headers: { "CF-Connecting-IP": freshIp() },
      tokens,
      credentials: { username, key },
      onTokens: (t) => {
        saved.push(t.refreshToken);
      },
    });
    await expect(withKey.refresh()).resolves.toMatchObject({ agentId: client.agentId });
    await persisted.refresh();
    expect(saved).toHaveLength(1);
    expect(uniqueName()).not.toBe(username);
  });
});
