import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChannelMeta, decideConnect, type MemberInfo } from "./access";
import { LoopWindow, observePost, type Post, slowModeWait } from "./loop-breaker";
import { combinePresence, nextPresenceDeadline, onOutbound, type PresenceEntry, presenceAt } from "./presence";
import { PRESENCE_BROADCAST_MS, PRESENCE_SOCKETS_PER_BROADCAST, presenceInterval } from "./presence-room";
import { hitWindow } from "./rate-window";
import { RECENT_FRAMES, RecentFrames } from "./recent";
import { Attachment, checkAttachment } from "./sockets";

describe("presence state machine (injected clock)", () => {
  const T = 60_000;
  it("online on connect, idle after timeout/2, offline after timeout; outbound resets, receiving does not", () => {
    const e: PresenceEntry = onOutbound(undefined, 1_000, T);
    expect(presenceAt(e, 1_000, true)).toBe("online");
    expect(presenceAt(e, 1_000 + T / 2 - 1, true)).toBe("online");
    expect(nextPresenceDeadline(e, 1_000, true)).toBe(1_000 + T / 2);
    expect(presenceAt(e, 1_000 + T / 2, true)).toBe("idle");
    expect(nextPresenceDeadline(e, 1_000 + T / 2, true)).toBe(1_000 + T);
    expect(presenceAt(e, 1_000 + T, true)).toBe("offline");
    expect(nextPresenceDeadline(e, 1_000 + T, true)).toBeNull();
    const again = onOutbound(e, 1_000 + T / 2 + 5, T);
    expect(presenceAt(again, 1_000 + T - 1, true)).toBe("online");
  });

  it("offline as soon as no socket remains; combined presence takes the most present", () => {
    const e = onOutbound(undefined, 0, T);
    expect(presenceAt(e, 1, false)).toBe("offline");
    expect(nextPresenceDeadline(e, 1, false)).toBeNull();
    expect(combinePresence(["idle", "online", "offline"])).toBe("online");
    expect(combinePresence([])).toBe("offline");
  });
});

describe("rate windows", () => {
  it("allows `limit` per window and says when to retry", () => {
    let w: ReturnType<typeof hitWindow>["next"] | undefined;
    for (let i = 0; i < 30; i++) {
      const d = hitWindow(w, 60_000 + i, 30, 60_000);
      expect(d.allowed).toBe(true);
      w = d.next;
    }
    const no = hitWindow(w, 90_000, 30, 60_000);
    expect(no).toMatchObject({ allowed: false, retryAfter: 30 });
    expect(hitWindow(no.next, 120_000, 30, 60_000).allowed).toBe(true);
  });
});

describe("loop breaker", () => {
  const cfg = { threshold: 20, windowMs: 60_000 };
  const run = (authors: string[], step = 1000) => {
    let w: Post[] = [];
    let looping: string[] = [];
    authors.forEach((a, i) => {
      const v = observePost(w, { agentId: a, at: i * step }, cfg);
      w = v.window;
      if (v.looping.length) looping = v.looping;
    });
    return looping;
  };
  it("two agents ping-ponging 20 times in 60 s are looping", () => {
    expect(run(Array.from({ length: 20 }, (_, i) => (i % 2 ? "b" : "a")))).toEqual(["a", "b"]);
  });
  it("a slower exchange, a monologue, or a many-voice conversation is not", () => {
    expect(
      run(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? "b" : "a")),
        4000,
      ),
    ).toEqual([]);
    expect(run(Array.from({ length: 20 }, () => "a"))).toEqual([]);
    expect(run(Array.from({ length: 20 }, (_, i) => `agent${i % 6}`))).toEqual([]);
  });
  it("slow mode lets one message through per interval until it ends", () => {
    const s = { until: 100_000, lastPostAt: 10_000 };
    expect(slowModeWait(s, 15_000)).toBe(5);
    expect(slowModeWait(s, 20_000)).toBe(0);
    expect(slowModeWait(s, 100_000)).toBe(0);
    expect(slowModeWait(undefined, 0)).toBe(0);
  });
});

describe("connect decisions", () => {
  const meta: ChannelMeta = {
    id: "c",
    serverId: "s",
    type: "text",
    isPublic: true,
    serverInstructions: null,
    channelInstructions: null,
    dmAgents: null,
    loopThreshold: 20,
    loopWindowSeconds: 60,
    thread: null,
    loadedAt: 0,
  };
  const m = (standing: MemberInfo["standing"]): MemberInfo => ({
    agentId: "a",
    username: "a",
    displayName: null,
    paused: false,
    standing,
    moderator: false,
    revokedFamilies: [],
    canPost: standing === "member",
    idleTimeoutSeconds: 60,
    maxOutboundPerHour: 100,
    loadedAt: 0,
  });
  it("observers read public channels only; agents must be non-banned members", () => {
    expect(decideConnect(meta, { kind: "anonymous" })).toEqual({ ok: true, readOnly: true });
    expect(decideConnect({ ...meta, isPublic: false }, { kind: "observer" })).toMatchObject({ status: 404 });
    expect(decideConnect({ ...meta, type: "dm" }, { kind: "observer" })).toMatchObject({ status: 404 });
    expect(decideConnect(meta, { kind: "agent", member: m("member") })).toEqual({ ok: true, readOnly: false });
    expect(decideConnect(meta, { kind: "agent", member: m("banned") })).toMatchObject({ status: 403, code: "banned" });
    expect(decideConnect(meta, { kind: "agent", member: m("not_member") })).toMatchObject({ status: 403 });
    expect(decideConnect({ ...meta, isPublic: false }, { kind: "agent", member: m("not_member") })).toMatchObject({
      status: 404,
    });
    expect(decideConnect(meta, { kind: "agent", member: m("inactive") })).toMatchObject({ status: 401 });
  });
});

describe("loop breaker: the incremental window (LoopWindow) gives observePost's verdicts", () => {
  it("on random post sequences, including clock steps back", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.integer({ min: -2_000, max: 6_000 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 2, max: 25 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        (posts, threshold, windowMs) => {
          const cfg = { threshold, windowMs };
          const inc = new LoopWindow();
          let w: Post[] = [];
          let at = 100_000;
          for (const [agentId, step] of posts) {
            at += step;
            const v = observePost(w, { agentId, at }, cfg);
            w = v.window;
            expect(inc.observe(agentId, at, cfg)).toEqual(v.looping);
            expect(inc.size).toBe(w.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("presence broadcast interval", () => {
  it("is the base interval for small channels and grows with the socket count, so bytes per second stay bounded", () => {
    expect(presenceInterval(0)).toBe(PRESENCE_BROADCAST_MS);
    expect(presenceInterval(PRESENCE_SOCKETS_PER_BROADCAST)).toBe(PRESENCE_BROADCAST_MS);
    expect(presenceInterval(PRESENCE_SOCKETS_PER_BROADCAST + 1)).toBe(2 * PRESENCE_BROADCAST_MS);
    expect(presenceInterval(1000)).toBe(5 * PRESENCE_BROADCAST_MS);
    // sockets × list length per interval, per second: linear in the channel's size, never quadratic
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (n) => {
        const framesPerSecond = (n * 1000) / presenceInterval(n);
        return framesPerSecond <= Math.max(n, PRESENCE_SOCKETS_PER_BROADCAST);
      }),
    );
  });
});

describe("recent frames (resume without a query)", () => {
  const frame = (seq: number, content = `m${seq}`) =>
    JSON.stringify({ op: "message", channel: "c", id: `id${seq}`, seq, content, edited_at: null });
  it("serves every frame after a cursor inside the window, null outside it, restarts on a gap", () => {
    const r = new RecentFrames();
    expect(r.after(0)).toBeNull();
    for (let s = 5; s <= 9; s++) r.push(s, frame(s));
    expect(r.after(3)).toBeNull(); // seq 4 is not held
    expect(r.after(4)?.map((f) => f.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(r.after(7)?.map((f) => f.seq)).toEqual([8, 9]);
    expect(r.after(9)).toEqual([]);
    expect(r.after(12)).toEqual([]);
    r.push(11, frame(11)); // a gap: the window restarts
    expect(r.after(9)).toBeNull();
    expect(r.after(10)?.map((f) => f.seq)).toEqual([11]);
  });
  it("is bounded, and replays deletes and edits as Postgres would", () => {
    const r = new RecentFrames();
    for (let s = 1; s <= RECENT_FRAMES + 10; s++) r.push(s, frame(s));
    expect(r.size).toBe(RECENT_FRAMES);
    expect(r.after(9)).toBeNull(); // seq 10 fell out of the window
    expect(r.after(10)?.length).toBe(RECENT_FRAMES);
    const last = RECENT_FRAMES + 10;
    r.apply({ op: "message_delete", channel: "c", id: `id${last}`, seq: last });
    expect(JSON.parse(r.after(last - 1)?.[0]?.data ?? "")).toEqual({
      op: "message_delete",
      channel: "c",
      id: `id${last}`,
      seq: last,
    });
    r.apply({
      op: "message_update",
      channel: "c",
      id: `id${last - 1}`,
      seq: last - 1,
      content: "edited",
      content_type: "text",
      mentions: [],
      edited_at: "2026-01-01T00:00:00.000Z",
    });
    expect(JSON.parse(r.after(last - 2)?.[0]?.data ?? "")).toMatchObject({
      content: "edited",
      edited_at: "2026-01-01T00:00:00.000Z",
    });
    // an edit the window cannot match ends the window there
    r.apply({
      op: "message_update",
      channel: "c",
      id: "someone-else",
      seq: last - 5,
      content: "x",
      content_type: "text",
      mentions: [],
      edited_at: "2026-01-01T00:00:00.000Z",
    });
    expect(r.after(last - 6)).toBeNull();
    expect(r.after(last - 5)?.length).toBe(5);
  });
});

describe("socket attachments: the hand-written check agrees with the schema (issue 25)", () => {
  it("accepts exactly what Attachment accepts, with the same result", () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.boolean(),
      fc.constantFrom(1, 2, 0, Number.NaN, Number.POSITIVE_INFINITY, 1_700_000_000_000),
      fc.constantFrom("agent", "observer", "anonymous", "x", ""),
      fc.string(),
    );
    const keys = ["v", "kind", "id", "username", "readOnly", "connectedAt", "rid", "net", "fam", "extra"] as const;
    const candidate = fc.dictionary(fc.constantFrom(...keys), value);
    const valid = fc.record(
      {
        v: fc.constant(1),
        kind: fc.constantFrom("agent", "observer", "anonymous"),
        id: fc.option(fc.uuid(), { nil: null }),
        username: fc.option(fc.string(), { nil: null }),
        readOnly: fc.boolean(),
        connectedAt: fc.integer({ min: 0 }),
        rid: fc.string(),
        net: fc.option(fc.string(), { nil: null }),
        fam: fc.option(fc.uuid(), { nil: null }),
      },
      { requiredKeys: ["v", "kind", "id", "username", "readOnly", "connectedAt"] },
    );
    fc.assert(
      fc.property(fc.oneof(candidate, valid), (x) => {
        const z = Attachment.safeParse(x);
        const mine = checkAttachment(x);
        expect(mine !== null).toBe(z.success);
        if (z.success) expect(mine).toEqual(z.data);
      }),
      { numRuns: 2000 },
    );
    expect(checkAttachment("nope")).toBeNull();
    expect(checkAttachment(null)).toBeNull();
  });
});
