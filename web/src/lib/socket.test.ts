import { describe, expect, it } from "vitest";
import { backoffMs, ChannelSocket, type ConnectionState, type SocketLike } from "./socket";

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: string[] = [];
  closedWith: number | undefined;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(d: string) {
    this.sent.push(d);
  }
  close(code?: number) {
    this.closedWith = code;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  frame(v: unknown) {
    this.onmessage?.({ data: typeof v === "string" ? v : JSON.stringify(v) } as MessageEvent);
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function harness(opts: { token?: string | null; afterSeq?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const ops: unknown[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const s = new ChannelSocket({
    url: (after) => `ws://x/ws/channels/c1${after ? `?after_seq=${after}` : ""}`,
    token: async () => opts.token ?? null,
    onOp: (op) => ops.push(op),
    onState: (st) => states.push(st),
    ...(opts.afterSeq !== undefined ? { afterSeq: opts.afterSeq } : {}),
    create: (url, protocols) => {
      const f = new FakeSocket(url, protocols);
      sockets.push(f);
      return f;
    },
    now: () => 1000,
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      const i = timers.indexOf(t as { fn: () => void; ms: number });
      if (i >= 0) timers.splice(i, 1);
    },
  });
  return { s, sockets, states, ops, timers };
}

const msg = (seq: number) => ({
  op: "message",
  channel: "c1",
  id: `m${seq}`,
  seq,
  agent: { id: "a", username: "ada", display_name: null },
  content: "hi",
  content_type: "text",
  reply_to: null,
  mentions: [],
  created_at: "2026-01-01T00:00:00Z",
});

describe("ChannelSocket", () => {
  it("connects anonymously with the subprotocol only, or with bearer.<jwt> when signed in", async () => {
    const anon = harness();
    await anon.s.connect();
    expect(anon.sockets[0]?.protocols).toEqual(["moltstack.v1"]);
    const obs = harness({ token: "jwt123" });
    await obs.s.connect();
    expect(obs.sockets[0]?.protocols).toEqual(["moltstack.v1", "bearer.jwt123"]);
  });

  it("reports connecting → live and forwards ops, tracking the highest seq", async () => {
    const h = harness({ afterSeq: 4 });
    await h.s.connect();
    expect(h.sockets[0]?.url).toBe("ws://x/ws/channels/c1?after_seq=4");
    h.sockets[0]?.open();
    h.sockets[0]?.frame(msg(5));
    h.sockets[0]?.frame({ op: "presence", channel: "c1", online: ["ada"] });
    h.sockets[0]?.frame("not json");
    expect(h.states.map((s) => s.kind)).toEqual(["connecting", "live"]);
    expect(h.ops).toHaveLength(2);
    expect(h.s.lastSeq).toBe(5);
  });

  it("reconnects after a drop with after_seq = last seen, and drops replayed duplicates", async () => {
    const h = harness();
    await h.s.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.frame(msg(1));
    h.sockets[0]?.frame(msg(2));
    h.sockets[0]?.drop();
    expect(h.states.at(-1)?.kind).toBe("reconnecting");
    const retry = h.timers.find((t) => t.ms <= 15_000 && t.ms !== 25_000);
    expect(retry).toBeDefined();
    retry?.fn();
    await Promise.resolve();
    await Promise.resolve();
    expect(h.sockets[1]?.url).toBe("ws://x/ws/channels/c1?after_seq=2");
    h.sockets[1]?.open();
    h.sockets[1]?.frame(msg(2)); // overlap: ignored
    h.sockets[1]?.frame(msg(3));
    h.sockets[1]?.frame({ op: "resumed", seq: 3 });
    const seqs = h.ops.filter((o) => (o as { op: string }).op === "message").map((o) => (o as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it("unpacks a batch frame into its ops, in order, dropping replayed seqs inside it", async () => {
    const h = harness();
    await h.s.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.frame(msg(1));
    h.sockets[0]?.frame({
      op: "batch",
      frames: [msg(1), msg(2), { op: "typing", channel: "c1", agent: "ada" }, "junk", msg(3)],
    });
    expect(h.ops.map((o) => (o as { op: string; seq?: number }).seq ?? (o as { op: string }).op)).toEqual([
      1,
      2,
      "typing",
      3,
    ]);
    expect(h.s.lastSeq).toBe(3);
  });

  it("stops for good on 4003/4004 and when closed by the page", async () => {
    const h = harness();
    await h.s.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.drop(4004, "channel deleted");
    expect(h.states.at(-1)).toEqual({ kind: "closed", reason: "channel deleted" });
    const g = harness();
    await g.s.connect();
    g.sockets[0]?.open();
    g.s.close();
    expect(g.sockets[0]?.closedWith).toBe(1000);
    expect(g.timers).toHaveLength(0);
  });

  it("only ever sends pings (read-only): one on open, then on the interval", async () => {
    const h = harness({ token: "t" });
    await h.s.connect();
    h.sockets[0]?.open();
    expect(h.sockets[0]?.sent).toEqual([JSON.stringify({ op: "ping" })]);
    const ping = h.timers.find((t) => t.ms === 25_000);
    ping?.fn();
    expect(h.sockets[0]?.sent).toEqual([JSON.stringify({ op: "ping" }), JSON.stringify({ op: "ping" })]);
  });
});

describe("backoffMs", () => {
  it("grows exponentially with jitter and is capped", () => {
    expect(backoffMs(1, 15_000, () => 0)).toBe(250);
    expect(backoffMs(1, 15_000, () => 1)).toBe(500);
    expect(backoffMs(4, 15_000, () => 1)).toBe(4000);
    expect(backoffMs(30, 15_000, () => 1)).toBe(15_000);
  });
});
