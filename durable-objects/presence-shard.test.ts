// Issue 25: a channel connect creates no AgentHub object; presence is combined in presence shards
// (presence-shard.ts), and what the hub used to know (presence, wake suppression, where to close sockets
// on a revocation) still comes out right for an agent that never opened its hub.
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../protocol";
import { api, createAgent, testEnv } from "../test/helpers";
import { registerVerifiedAgent } from "../test/identity";
import { type Client, connect, join, makeRoom, member, upgrade } from "../test/support/channel-fixtures";
import { clearRevocationCache } from "../worker/auth/revocation";
import { PRESENCE_SHARDS, presenceShard, presenceShardOf } from "./presence-shard";

const presenceOf = async (username: string) =>
  (await api<{ presence: string }>("GET", `/api/v1/agents/${username}`)).body.presence;

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Has the agent's own hub object ever been created (it has storage)? */
async function hubExists(agentId: string): Promise<boolean> {
  const id = testEnv.AGENT_HUB.idFromName(agentId).toString();
  return (await listDurableObjectIds(testEnv.AGENT_HUB)).some((x) => x.toString() === id);
}

async function closedWith(c: Client, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return c.closed?.code ?? null;
}

describe("presence shards (issue 25)", () => {
  it("an agent's shard is a stable number below PRESENCE_SHARDS", () => {
    const ids = ["0190c8a4-0000-7000-8000-000000000001", "0190c8a4-0000-7000-8000-000000000002", crypto.randomUUID()];
    for (const id of ids) {
      const n = presenceShardOf(id);
      expect(Number.isInteger(n) && n >= 0 && n < PRESENCE_SHARDS).toBe(true);
      expect(presenceShardOf(id)).toBe(n);
    }
    const spread = new Set(Array.from({ length: 200 }, () => presenceShardOf(crypto.randomUUID())));
    expect(spread.size).toBeGreaterThan(PRESENCE_SHARDS / 2);
  });

  it("a channel connect creates no hub for the agent, and its presence still goes online, then offline", async () => {
    const room = await makeRoom();
    const a = await member(room);
    const s = await connect(room.channelId, { token: a.token });
    await s.next("presence");
    await until(async () => (await presenceOf(a.username)) === "online");
    expect(await presenceShard(testEnv, a.id).presenceSources(a.id)).toEqual([room.channelId]);
    expect(await hubExists(a.id)).toBe(false);
    s.close();
    await until(async () => (await presenceOf(a.username)) === "offline");
    expect(await presenceShard(testEnv, a.id).presenceSources(a.id)).toEqual([]);
    expect(await hubExists(a.id)).toBe(false);
  });

  it("presence combines across channels: offline only when the last channel socket closes", async () => {
    const room = await makeRoom();
    const other = await makeRoom();
    const a = await member(room);
    await join(other.serverId, a.id);
    const one = await connect(room.channelId, { token: a.token });
    const two = await connect(other.channelId, { token: a.token });
    await until(async () => (await presenceShard(testEnv, a.id).presenceSources(a.id)).length === 2);
    await until(async () => (await presenceOf(a.username)) === "online");
    one.close();
    await until(async () => (await presenceShard(testEnv, a.id).presenceSources(a.id)).length === 1);
    expect(await presenceShard(testEnv, a.id).presenceOf(a.id)).toBe("online");
    // the closing channel persists the combined state at its next tick (≤ PRESENCE_BROADCAST_MS)
    await new Promise((r) => setTimeout(r, 1500));
    expect(await presenceOf(a.username)).toBe("online");
    two.close();
    await until(async () => (await presenceOf(a.username)) === "offline");
  });

  it("wake suppression: a personal event finds a channel-only agent live, and not live once it left", async () => {
    const room = await makeRoom();
    const a = await member(room);
    const from = await createAgent();
    const event = {
      type: "friend_request" as const,
      from: { id: from.id, username: from.username },
      created_at: new Date().toISOString(),
    };
    const s = await connect(room.channelId, { token: a.token });
    await s.next("presence");
    await until(async () => (await presenceShard(testEnv, a.id).presenceOf(a.id)) === "online");
    const hub = testEnv.AGENT_HUB.get(testEnv.AGENT_HUB.idFromName(a.id));
    expect(await hub.deliverEvent(event, a.id)).toEqual({ sent: 0, live: true });
    s.close();
    await until(async () => (await presenceShard(testEnv, a.id).presenceOf(a.id)) === "offline");
    expect(await hub.deliverEvent(event, a.id)).toEqual({ sent: 0, live: false });
  });

  it("a revocation closes the channel socket of an agent that never opened its hub; the channel refuses the token", async () => {
    const agent = await registerVerifiedAgent(`ps_rv_${Date.now().toString(36)}`);
    const room = await makeRoom();
    await join(room.serverId, agent.id);
    const s = await connect(room.channelId, { token: agent.tokens.api_token });
    await s.next("presence");
    await until(async () => (await presenceShard(testEnv, agent.id).presenceSources(agent.id)).length === 1);
    expect((await api("POST", "/api/v1/auth/logout", { token: agent.tokens.api_token })).status).toBe(204);
    expect(await closedWith(s)).toBe(CLOSE.unauthorized);
    // the Worker no longer reads the token's liveness per upgrade: with this isolate's memory wiped, the
    // channel object's own membership read (status, revoked families) refuses it
    clearRevocationCache();
    expect((await upgrade(room.channelId, { token: agent.tokens.api_token })).status).toBe(401);
  });
});
