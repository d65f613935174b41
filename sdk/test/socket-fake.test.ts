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
});
