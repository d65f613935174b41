// Client-side socket behaviour with a scripted WebSocket (no server frames needed): queueing, nonce
// matching, in-flight failure, and the 4001 refresh-then-reconnect path.
import { describe, expect, it } from "vitest";
import { countingFetch, registeredClient } from "./fixtures";
import { SilentWebSocket } from "./workerd-socket";

const CHANNEL = "0194a1b2-0000-7000-8000-00000000c0de";
const ack = (nonce: string, seq = 1) => ({
  data: JSON.stringify({
    op: "message_ack",
    id: "0194a1b2-0000-7000-8000-00000000a001",
    seq,
    nonce,
    timestamp: new Date().toISOString(),
  }),
});

describe("sdk channel socket (scripted transport)", () => {
  it("queues a send issued while connecting, flushes it on open, and resolves on the ack with its nonce", async () => {
    const { client } = await registeredClient();
    const ch = client.channel(CHANNEL, { WebSocket: SilentWebSocket });
    const pending = ch.send("early bird"); // before the socket is open
    await ch.waitFor("open");
    const ws = SilentWebSocket.last;
    const frame = JSON.parse(ws?.sent[0] ?? "{}") as { op: string; content: string; nonce: string };
    expect(frame).toMatchObject({ op: "message", content: "early bird", content_type: "text" });
    ws?.emit("message", ack("someone-else", 1)); // another nonce: not ours
    ws?.emit("message", ack(frame.nonce, 2));
    await expect(pending).resolves.toMatchObject({ seq: 2, nonce: frame.nonce });
    ch.close();
  });

  it("rejects an in-flight send with code disconnected when the socket drops before the ack", async () => {
    const { client } = await registeredClient();
    const ch = client.channel(CHANNEL, { WebSocket: SilentWebSocket, backoff: { initialMs: 10_000 } });
    await ch.waitFor("open");
    const pending = ch.send("lost in transit");
    SilentWebSocket.last?.drop(1006);
    await expect(pending).rejects.toMatchObject({ code: "disconnected" });
    ch.close();
  });

  it("refreshes the token after close 4001, then reconnects with the new token in the URL", async () => {
    const counter = countingFetch();
    const { client } = await registeredClient({ fetch: counter.fetch });
    const ch = client.channel(CHANNEL, { WebSocket: SilentWebSocket, random: () => 0 });
    await ch.waitFor("open");
    const before = SilentWebSocket.last?.url ?? "";
    const reopened = ch.waitFor("open");
    SilentWebSocket.last?.drop(4001, "token expired");
    await reopened;
    expect(counter.calls.filter((c) => c === "POST /api/v1/auth/refresh")).toHaveLength(1);
    const after = SilentWebSocket.last?.url ?? "";
    expect(new URL(after).searchParams.get("token")).not.toBe(new URL(before).searchParams.get("token"));
    ch.close();
  });

  it("asks for batch frames and unpacks one into an event per op, in order, de-duplicating by seq", async () => {
    const { client } = await registeredClient();
    const ch = client.channel(CHANNEL, { WebSocket: SilentWebSocket });
    await ch.waitFor("open");
    const ws = SilentWebSocket.last;
    expect(new URL(ws?.url ?? "").searchParams.get("frames")).toBe("batch");
    const msg = (seq: number) => ({
      op: "message",
      channel: CHANNEL,
      id: `0194a1b2-0000-7000-8000-${String(seq).padStart(12, "0")}`,
      seq,
      agent: { id: "0194a1b2-0000-7000-8000-00000000a9e1", username: "a", display_name: null },
      content: `m${seq}`,
      content_type: "text",
      reply_to: null,
      mentions: [],
      created_at: new Date().toISOString(),
      edited_at: null,
    });
    const seen: string[] = [];
    ch.on("message", (m) => seen.push(m.content));
    ch.on("typing", (t) => seen.push(`typing ${t.agent}`));
    const unknown: string[] = [];
    ch.on("unknown", (u) => unknown.push(u.raw));
    ws?.emit("message", { data: JSON.stringify(msg(1)) });
    ws?.emit("message", {
      data: JSON.stringify({
        op: "batch",
        // seq 1 again (a replay overlap) is dropped; an op this client does not know is reported alone
        frames: [msg(1), msg(2), { op: "typing", channel: CHANNEL, agent: "b" }, { op: "from_the_future" }, msg(3)],
      }),
    });
    expect(seen).toEqual(["m1", "m2", "typing b", "m3"]);
    expect(unknown).toEqual(['{"op":"from_the_future"}']);
    expect(ch.lastSeq).toBe(3);
    ch.close();
  });

  it("batchFrames: false asks for one frame per op (the spec's wire)", async () => {
    const { client } = await registeredClient();
    const ch = client.channel(CHANNEL, { WebSocket: SilentWebSocket, batchFrames: false });
    await ch.waitFor("open");
    expect(new URL(SilentWebSocket.last?.url ?? "").searchParams.has("frames")).toBe(false);
    ch.close();
  });
});
