// Issue 19 through the SDK against the real Worker: scoped API keys (create, list, revoke), a client built
// from a key (reads work, writes refused by scope, refused once revoked), pairing with an owner heard on
// the personal socket, and a key rotation the owner authorised.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../../test/helpers";
import { createObserver } from "../../test/support/channel-fixtures";
import { MoltStackClient } from "../src/client";
import { MoltStackError } from "../src/errors";
import { generateKey, publicKeyString } from "../src/keys";
import { BASE, freshIp, registeredClient } from "./fixtures";

const workerFetch = (i: string, init?: RequestInit) => exports.default.fetch(i, init);

describe("sdk scoped API keys", () => {
  it("mints a read key (shown once), lists it without the secret, and revokes it", async () => {
    const { client } = await registeredClient();
    const created = await client.keys.create({ name: "reader", scopes: ["read"], expiresIn: 3600 });
    expect(created.key).toMatch(/^ms_sk_/);
    expect(created.scopes).toEqual(["read"]);
    const list = await client.keys.list();
    const row = list.items.find((k) => k.id === created.id);
    expect(row).toMatchObject({ name: "reader", scopes: ["read"], revoked_at: null });
    expect(JSON.stringify(list)).not.toContain(created.key);
    await client.keys.revoke(created.id);
    expect((await client.keys.list()).items.find((k) => k.id === created.id)).toBeUndefined();
  });

  it("fromApiKey: a read key reads, is refused a POST (insufficient_scope), and stops working once revoked", async () => {
    const { client } = await registeredClient();
    const server = await client.createServer({ name: "sdk keys" });
    const [general] = await client.channels(server.id);
    if (!general) throw new Error("no default channel");
    await client.postMessage(general.id, "written with the login");
    const { key, id } = await client.keys.create({ name: "reader", scopes: ["read"] });
    const reader = await MoltStackClient.fromApiKey({ baseUrl: BASE, apiKey: key, fetch: workerFetch });
    expect(reader.agentId).toBe(client.agentId);
    expect((await reader.history(general.id)).messages.map((m) => m.content)).toEqual(["written with the login"]);
    const refused = await reader.postMessage(general.id, "with a read key").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MoltStackError);
    expect(refused).toMatchObject({ status: 403, code: "insufficient_scope" });
    // a key never mints keys
    await expect(reader.keys.create({ name: "child", scopes: ["read"] })).rejects.toMatchObject({ status: 403 });
    await client.keys.revoke(id);
    await expect(reader.me()).rejects.toMatchObject({ status: 401 });
  });

  it("fromApiKey refuses what is not an API key", async () => {
    await expect(MoltStackClient.fromApiKey({ baseUrl: BASE, apiKey: "eyJhbGciOi" })).rejects.toThrow(/ms_sk_/);
  });
});

describe("sdk pairing and owner controls", () => {
  const asOwner = (method: string, path: string, token: string, body?: unknown) =>
    api(method, path, { token, headers: { "cf-connecting-ip": freshIp() }, ...(body ? { body } : {}) });

  it("pair() returns the code and URL and resolves with owner_paired once the owner confirms", async () => {
    const { client, username } = await registeredClient();
    const owner = await createObserver();
    const shown: string[] = [];
    const pairing = await client.pair({ timeoutMs: 15_000, onCode: (p) => shown.push(p.code) });
    expect(pairing.code).toMatch(/^[a-z]{3,8}-[A-Z2-9]{4}$/);
    expect(pairing.url).toContain(`/owner/pair/${pairing.code}`);
    expect(shown).toEqual([pairing.code]);
    const preview = await asOwner("GET", `/api/v1/owners/pairing/${pairing.code}`, owner.token);
    expect(preview.body).toMatchObject({ username });
    const confirmed = await asOwner("POST", `/api/v1/owners/pairing/${pairing.code}/confirm`, owner.token);
    expect(confirmed.status).toBe(201);
    const ev = await pairing.confirmed;
    expect(ev).toMatchObject({ op: "owner_paired", owner: { id: owner.id }, by: "owner" });
    expect(await client.owner()).toMatchObject({ owner_id: owner.id });
    await client.unpair();
    expect(await client.owner()).toMatchObject({ owner_id: null });
  });

  it("pair() rejects with code timeout when nobody confirms in time; cancel() stops waiting", async () => {
    const { client } = await registeredClient();
    const p = await client.pair({ timeoutMs: 300 });
    await expect(p.confirmed).rejects.toMatchObject({ code: "timeout" });
    const q = await client.pair({ timeoutMs: 10_000 });
    q.cancel();
    await expect(q.confirmed).rejects.toMatchObject({ code: "cancelled" });
  });

  it("a paused bot's post fails with agent_paused; rotateKey() completes an owner-authorised rotation", async () => {
    const { client } = await registeredClient();
    const owner = await createObserver();
    const pairing = await client.pair({ timeoutMs: 15_000 });
    await asOwner("POST", `/api/v1/owners/pairing/${pairing.code}/confirm`, owner.token);
    await pairing.confirmed;
    const server = await client.createServer({ name: "sdk owner" });
    const [general] = await client.channels(server.id);
    if (!general) throw new Error("no default channel");
    const bot = `/api/v1/owners/me/bots/${client.agentId}`;
    expect((await asOwner("POST", `${bot}/pause`, owner.token, { reason: "quiet" })).status).toBe(200);
    const refused = await client.postMessage(general.id, "paused?").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MoltStackError);
    expect(refused).toMatchObject({ status: 403, code: "agent_paused" });
    await asOwner("POST", `${bot}/resume`, owner.token);

    const old = client.tokens;
    const next = await generateKey();
    const auth = await asOwner("POST", `${bot}/rotate-key`, owner.token, { public_key: publicKeyString(next) });
    expect(auth.status, JSON.stringify(auth.body)).toBe(202);
    const stale = await exports.default.fetch(`${BASE}/api/v1/agents/@me`, {
      headers: { authorization: `Bearer ${old.apiToken}` },
    });
    expect(stale.status).toBe(401);
    await client.rotateKey(next);
    expect(client.tokens.apiToken).not.toBe(old.apiToken);
    await client.postMessage(general.id, "same bot, new key");
    // the pair the new login issued refreshes like any other
    const again = await client.refresh();
    expect(again.apiToken).toBeTruthy();
  });
});
