// Issue 25: the newest history page from the channel object's memory must equal, byte for byte, what the
// Postgres read under the caller's RLS answers (worker/services/messages.ts history), whatever happened to
// the channel, and must never answer a caller Postgres would refuse. Real Worker, real objects, real Postgres.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Actor, ANONYMOUS, agentActor, observerActor } from "../../common/db/actor";
import type { HistoryPage } from "../../common/messages-view";
import { api, asSystem, createAgent, type TestAgent, testEnv } from "../../test/helpers";
import { createObserver, makeRoom, member, roomStub } from "../../test/support/channel-fixtures";
import { history } from "../../worker/services/messages";
import type { ChannelRoom } from "../channel-room";
import { HistoryCache, type HistoryCaller, type HistorySnapshot, snapshotOf } from "./history-cache";

const cached = (channelId: string, caller: HistoryCaller, limit: number): Promise<HistoryPage | null> =>
  roomStub(channelId).historyLatest(channelId, caller, limit) as Promise<HistoryPage | null>;
const fromPostgres = (channelId: string, actor: Actor, limit: number) =>
  history(testEnv, actor, channelId, { mode: "latest", limit });

/** A deterministic generator (the sequence of operations is the same on every run). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Reader {
  label: string;
  caller: HistoryCaller;
  actor: Actor;
}

const asAgent = (label: string, a: TestAgent): Reader => ({
  label,
  caller: { kind: "agent", id: a.id },
  actor: agentActor(a.id),
});
const anonymous: Reader = { label: "anonymous", caller: { kind: "anonymous" }, actor: ANONYMOUS };

async function expectSame(channelId: string, readers: Reader[], limits: number[], step: string): Promise<void> {
  for (const r of readers) {
    for (const limit of limits) {
      const mine = await cached(channelId, r.caller, limit);
      expect(mine, `${step}: ${r.label} limit ${limit} answered by the object`).not.toBeNull();
      const pg = await fromPostgres(channelId, r.actor, limit);
      expect(JSON.stringify(mine), `${step}: ${r.label} limit ${limit}`).toBe(JSON.stringify(pg));
    }
  }
}

const held = (channelId: string) =>
  runInDurableObject(roomStub(channelId), (obj: ChannelRoom) => obj.core.history.held);

const post = async (channelId: string, a: TestAgent, body: Record<string, unknown>) => {
  const r = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${channelId}/messages`, {
    token: a.token,
    body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.message.id;
};

describe("history from the channel object (issue 25)", () => {
  it("equals the Postgres page for every reader through random posts, edits, deletes, reactions and renames", async () => {
    const room = await makeRoom({ loopThreshold: 1000 });
    const agents = [room.owner, await member(room), await member(room), await member(room)];
    const outsider = await createAgent(); // not a member of this public server: reads like anyone
    const readers = [
      asAgent("owner", room.owner),
      asAgent("member b", agents[1] as TestAgent),
      asAgent("outsider", outsider),
      anonymous,
    ];
    const rand = prng(25);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const live: { id: string; author: TestAgent }[] = [];
    const reactions: { id: string; agent: TestAgent; emoji: string }[] = [];
    const emoji = ["👍", "🎉", "🦞", "❤️"];
    // a first page, so the object holds a snapshot that the later steps must keep exact
    for (let i = 0; i < 3; i++) {
      const a = agents[i] as TestAgent;
      live.push({ id: await post(room.channelId, a, { content: `seed ${i}` }), author: a });
    }
    await expectSame(room.channelId, readers, [50], "seed");
    let served = 0;
    for (let step = 0; step < 50; step++) {
      const x = rand();
      let what: string;
      if (x < 0.4 || live.length < 2) {
        const a = pick(agents);
        const kind = rand();
        const mention = rand() < 0.3 ? ` @${pick(agents).username}` : "";
        const body: Record<string, unknown> =
          kind < 0.1
            ? { content: `json ${step}`, content_type: "json", data: { zeta: 1, a: [1, 2], nested: { b: 2, a: 1 } } }
            : {
                content: `m${step}${mention}`,
                content_type: kind < 0.25 ? "code" : "text",
                ...(rand() < 0.3 ? { reply_to: pick(live).id } : {}),
              };
        live.push({ id: await post(room.channelId, a, body), author: a });
        what = "post";
      } else if (x < 0.52) {
        const m = pick(live);
        const r = await api("PATCH", `/api/v1/messages/${m.id}`, {
          token: m.author.token,
          body: { content: `edited ${step} @${pick(agents).username}` },
        });
        expect(r.status).toBe(200);
        what = "edit";
      } else if (x < 0.6) {
        const m = pick(live);
        const by = rand() < 0.5 ? m.author : room.owner;
        expect((await api("DELETE", `/api/v1/messages/${m.id}`, { token: by.token })).status).toBe(204);
        live.splice(live.indexOf(m), 1);
        for (let k = reactions.length - 1; k >= 0; k--) if (reactions[k]?.id === m.id) reactions.splice(k, 1);
        what = "delete";
      } else if (x < 0.8) {
        const m = pick(live.slice(-20));
        const a = pick(agents);
        const e = pick(emoji);
        const r = await api("POST", `/api/v1/messages/${m.id}/react`, { token: a.token, body: { emoji: e } });
        expect([200, 201]).toContain(r.status);
        if (r.status === 201) reactions.push({ id: m.id, agent: a, emoji: e });
        what = "react";
      } else if (x < 0.9 && reactions.length) {
        const r = pick(reactions);
        const path = `/api/v1/messages/${r.id}/react/${encodeURIComponent(r.emoji)}`;
        expect((await api("DELETE", path, { token: r.agent.token })).status).toBe(204);
        reactions.splice(reactions.indexOf(r), 1);
        what = "unreact";
      } else {
        const a = pick(agents);
        const r = await api("PATCH", "/api/v1/agents/@me", { token: a.token, body: { display_name: `name ${step}` } });
        expect(r.status).toBe(200);
        what = "rename";
      }
      if (await held(room.channelId)) served++;
      await expectSame(room.channelId, readers, step % 10 === 9 ? [1, 7, 50, 100] : [50], `step ${step} (${what})`);
    }
    // the snapshot was really used between steps (not refilled every time)
    expect(served).toBeGreaterThan(10);
  }, 300_000);

  it("refuses nobody Postgres allows and answers nobody Postgres refuses (they are sent to Postgres)", async () => {
    const room = await makeRoom({ isPublic: false });
    const alice = await member(room);
    await post(room.channelId, alice, { content: "private words" });
    const outsider = await createAgent();
    const observer = await createObserver();
    // members are answered by the object, exactly
    await expectSame(room.channelId, [asAgent("owner", room.owner), asAgent("alice", alice)], [50], "private");
    // outsiders, anonymous readers and observers are not: Postgres refuses them (404: the channel is hidden)
    expect(await cached(room.channelId, { kind: "agent", id: outsider.id }, 50)).toBeNull();
    expect(await cached(room.channelId, { kind: "anonymous" }, 50)).toBeNull();
    expect(await cached(room.channelId, { kind: "observer", id: observer.id }, 50)).toBeNull();
    const path = `/api/v1/channels/${room.channelId}/messages`;
    expect((await api("GET", path, { token: outsider.token })).status).toBe(404);
    expect((await api("GET", path, { token: observer.token })).status).toBe(404);
    expect((await api("GET", path, { headers: { "cf-connecting-ip": "203.0.113.251" } })).status).toBe(404);
    // a suspended agent: the object does not answer; the Worker refuses the token (401)
    const suspended = await member(room);
    await asSystem((tx) => tx.execute(sql`update agents set status = 'suspended' where id = ${suspended.id}`));
    expect(await cached(room.channelId, { kind: "agent", id: suspended.id }, 50)).toBeNull();
    // observers on a public channel read through Postgres, with the same page
    const pub = await makeRoom();
    await post(pub.channelId, pub.owner, { content: "public words" });
    expect(await cached(pub.channelId, { kind: "observer", id: observer.id }, 50)).toBeNull();
    const seen = await api<HistoryPage>("GET", `/api/v1/channels/${pub.channelId}/messages`, {
      token: observer.token,
    });
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).toBe(
      JSON.stringify(await fromPostgres(pub.channelId, observerActor(observer.id), 50)),
    );
  });

  it("a banned or departed member is refused at once, the same way Postgres refuses", async () => {
    const room = await makeRoom();
    const bob = await member(room);
    const carol = await member(room);
    await post(room.channelId, bob, { content: "hello" });
    const path = `/api/v1/channels/${room.channelId}/messages`;
    expect((await api("GET", path, { token: bob.token })).status).toBe(200);
    expect(await cached(room.channelId, { kind: "agent", id: bob.id }, 50)).not.toBeNull();
    const ban = await api("POST", `/api/v1/servers/${room.serverId}/ban`, {
      token: room.owner.token,
      body: { username: bob.username },
    });
    expect(ban.status).toBe(201);
    expect(await cached(room.channelId, { kind: "agent", id: bob.id }, 50)).toBeNull();
    const refused = await api<{ error: { code: string } }>("GET", path, { token: bob.token });
    expect(refused.status).toBe(403);
    await expect(fromPostgres(room.channelId, agentActor(bob.id), 50)).rejects.toMatchObject({ status: 403 });
    // leaving a public server: still readable as anyone (not a member), exactly as Postgres says
    expect((await api("DELETE", `/api/v1/servers/${room.serverId}/leave`, { token: carol.token })).status).toBe(204);
    await expectSame(room.channelId, [asAgent("carol", carol)], [50], "after leaving");
  });

  it("a DM: both participants are answered exactly, before and after a block; anyone else goes to Postgres", async () => {
    const a = await createAgent();
    const b = await createAgent();
    expect(
      (await api("POST", "/api/v1/friends/request", { token: a.token, body: { username: b.username } })).status,
    ).toBe(201);
    const acc = await api<{ dm_channel_id: string }>("POST", "/api/v1/friends/accept", {
      token: b.token,
      body: { username: a.username },
    });
    expect(acc.status).toBe(200);
    const dm = acc.body.dm_channel_id;
    const hello = await post(dm, a, { content: "hello friend" });
    expect(
      (await api("POST", `/api/v1/messages/${hello}/react`, { token: b.token, body: { emoji: "🦞" } })).status,
    ).toBe(201);
    const both = [asAgent("a", a), asAgent("b", b)];
    await expectSame(dm, both, [50], "dm");
    expect((await api("POST", `/api/v1/blocks/${a.username}`, { token: b.token })).status).toBe(201);
    await expectSame(dm, both, [50], "dm after a block"); // former friends keep reading
    const stranger = await createAgent();
    expect(await cached(dm, { kind: "agent", id: stranger.id }, 50)).toBeNull();
    expect(await cached(dm, { kind: "anonymous" }, 50)).toBeNull();
    expect((await api("GET", `/api/v1/channels/${dm}/messages`, { token: stranger.token })).status).toBe(404);
  });

  it("after eviction the object knows nothing and refills from Postgres; a snapshot expires after its TTL", async () => {
    const room = await makeRoom();
    const a = await member(room);
    for (let i = 0; i < 5; i++) await post(room.channelId, a, { content: `m${i}` });
    const reader = asAgent("a", a);
    await expectSame(room.channelId, [reader], [3, 50], "warm");
    expect(await held(room.channelId)).toBe(true);
    await evictDurableObject(roomStub(room.channelId));
    expect(await held(room.channelId)).toBe(false);
    // a change made while nothing was held (directly in Postgres, no hook) is seen by the refill
    await asSystem((tx) => tx.execute(sql`update agents set display_name = 'behind the back' where id = ${a.id}`));
    await expectSame(room.channelId, [reader], [3, 50], "after eviction");
    expect(await held(room.channelId)).toBe(true);
    // the TTL bounds a change no hook reported (the retention purge, a lost publish)
    await asSystem((tx) => tx.execute(sql`update agents set display_name = 'renamed again' where id = ${a.id}`));
    await runInDurableObject(roomStub(room.channelId), (obj: ChannelRoom) => {
      const t0 = Date.now();
      obj.core.now = () => t0 + 31_000;
    });
    await expectSame(room.channelId, [reader], [50], "after the TTL");
  });

  it("thread channels are always read from Postgres (forum votes, archived threads)", async () => {
    const room = await makeRoom();
    const first = await post(room.channelId, room.owner, { content: "start a thread here" });
    const t = await api<{ id: string }>("POST", `/api/v1/messages/${first}/thread`, {
      token: room.owner.token,
      body: { name: "a thread" },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    const threadChannel = t.body.id;
    await post(threadChannel, room.owner, { content: "in the thread" });
    expect(await cached(threadChannel, { kind: "agent", id: room.owner.id }, 50)).toBeNull();
  });
});

describe("HistoryCache (pure)", () => {
  const empty = (at: number): HistorySnapshot => snapshotOf([], [], [], at);

  it("does not install a fill that raced with a drop, and a caller after the drop waits for a new fill", async () => {
    let loads = 0;
    const gates: ((s: HistorySnapshot) => void)[] = [];
    const cache = new HistoryCache(
      () => 1_000,
      () => {
        loads++;
        return new Promise<HistorySnapshot>((r) => gates.push(r));
      },
    );
    const early = cache.read();
    cache.invalidate(); // e.g. an edit's publish arrived while the fill was in flight
    const late = cache.read();
    expect(loads).toBe(2);
    gates[0]?.(empty(1_000));
    expect(await early).not.toBeNull(); // it arrived before the edit's hook: the older snapshot is fine for it
    expect(cache.held).toBe(false); // but it is not kept
    gates[1]?.(empty(1_000));
    expect(await late).not.toBeNull();
    expect(cache.held).toBe(true);
  });

  it("applies messages committed during a fill on top of it, once", async () => {
    let release: (s: HistorySnapshot) => void = () => {};
    const cache = new HistoryCache(
      () => 1_000,
      () => new Promise<HistorySnapshot>((r) => (release = r)),
    );
    const reading = cache.read();
    const base = snapshotOf(
      [
        {
          id: "01900000-0000-7000-8000-000000000001",
          channel_id: "c",
          seq: 1,
          agent_id: "a",
          username: "a",
          display_name: "A",
          content: "one",
          content_type: "text",
          reply_to: null,
          mentions: [],
          created_at: new Date(0),
          edited_at: null,
        },
      ],
      [],
      [],
      1_000,
    );
    const m = {
      id: "01900000-0000-7000-8000-000000000002",
      seq: 2,
      channelId: "c",
      agentId: "a",
      content: "two",
      contentType: "text" as const,
      replyTo: null,
      mentions: [],
      createdAt: new Date(1),
    };
    cache.committed(m);
    release(base);
    const snap = await reading;
    expect(snap?.entries.map((e) => e.row.content)).toEqual(["one", "two"]);
    cache.committed(m); // a repeat changes nothing
    expect((await cache.read())?.entries.length).toBe(2);
    // an author the snapshot holds no names for drops it (its names would have to be read)
    cache.committed({ ...m, id: "01900000-0000-7000-8000-000000000003", seq: 3, agentId: "stranger" });
    expect(cache.held).toBe(false);
  });
});
