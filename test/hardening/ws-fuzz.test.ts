// WebSocket fuzzing (issue 10, "Bad input"): binary frames, invalid UTF-8, lone surrogates, truncated JSON,
// unknown ops, prototype-pollution keys, oversize frames, generated junk and floods on a channel socket.
// Every answer is an `error` op with a documented code (protocol/limits.ts ERROR_CODES) or a close with a
// documented code (CLOSE); the object keeps serving a second, well-behaved socket on the same channel.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLOSE, ERROR_CODES, PROTOCOL_LIMITS } from "../../protocol";
import { type Client, connect, makeRoom, member } from "../support/channel-fixtures";
import { nastyJson, nastyString } from "./fuzz-core";
import { FULL, report, safe } from "./support";

const GENERATED = FULL ? 200 : 20;
const DOCUMENTED_CLOSES: number[] = Object.values(CLOSE);
const ERRORS = new Set<string>(ERROR_CODES);

const FIXED: (string | Uint8Array)[] = [
  new Uint8Array([0x7b, 0x22, 0x6f, 0x70, 0x22]), // binary frame
  new Uint8Array([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe, 0xfd]), // invalid UTF-8 in a binary frame
  '{"op":"message","content":"\ud800"}', // lone surrogate (becomes U+FFFD on the wire)
  '{"op":"mess',
  "",
  "null",
  "[]",
  "42",
  '"message"',
  '{"op":"nope"}',
  '{"op":"__proto__"}',
  '{"op":"message","content":"x","__proto__":{"admin":true}}',
  '{"op":"message","constructor":{"prototype":{"x":1}},"content":"x"}',
  '{"op":"message","content":5}',
  '{"op":"message","content":"a\\u0000b"}', // NUL: Postgres text cannot hold it (validation_failed)
  '{"op":"message","content":"x","reply_to":"\' OR 1=1 --"}',
  '{"op":"resume","after_seq":-1}',
  '{"op":"resume","after_seq":1e309}',
  '{"op":"typing","channel":"<script>"}',
  `{"op":"message","content":"${"a".repeat(PROTOCOL_LIMITS.messageChars + 1)}"}`,
  `{"op":"message","content":"${"a".repeat(PROTOCOL_LIMITS.frameBytes + 10)}"}`,
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
];

/** Everything a socket answered after `from` is an error op with a documented code; returns the count. */
function checkAnswers(c: Client, from: number): string[] {
  const bad: string[] = [];
  for (const f of c.frames.slice(from)) {
    if (f.op === "error") {
      if (!ERRORS.has(String(f.code)) || typeof f.message !== "string")
        bad.push(`undocumented error ${JSON.stringify(f)}`);
    } else if (!["message_ack", "message", "presence", "context", "typing", "pong", "resumed"].includes(f.op)) {
      bad.push(`unexpected op ${safe(JSON.stringify(f), 200)}`);
    }
  }
  return bad;
}

function sendRaw(c: Client, frame: string | Uint8Array): void {
  try {
    c.ws.send(frame);
  } catch {
    // a closed socket refuses to send: the next check sees the close
  }
}

describe("WebSocket fuzzing", () => {
  it("bad frames get error ops or documented closes, and the object keeps serving others", {
    timeout: 180_000,
  }, async () => {
    const room = await makeRoom();
    const good = await member(room);
    const fuzzer = await member(room);
    const other = await connect(room.channelId, { token: good.token });
    await other.next("context");

    const frames: (string | Uint8Array)[] = [
      ...FIXED,
      ...fc.sample(
        fc.oneof(
          nastyString,
          nastyJson.map((v) => JSON.stringify(v) ?? "null"),
          fc
            .tuple(fc.constantFrom("message", "typing", "ping", "resume", "nope", ""), nastyJson)
            .map(([op, v]) => JSON.stringify({ op, content: v, after_seq: v, nonce: v })),
        ),
        GENERATED,
      ),
    ];
    const problems: string[] = [];
    const closes: number[] = [];
    let errorsSeen = 0;
    let sock = await connect(room.channelId, { token: fuzzer.token });
    let sentOnSocket = 0;
    for (const frame of frames) {
      // the abuse guard closes a socket after 20 errors a minute: keep well under it per socket
      if (sock.closed || sentOnSocket >= PROTOCOL_LIMITS.abuseErrorsPerMinute - 5) {
        sock.close();
        sock = await connect(room.channelId, { token: fuzzer.token });
        sentOnSocket = 0;
      }
      const from = sock.frames.length;
      sendRaw(sock, frame);
      sentOnSocket += 1;
      // a ping after each frame: its pong (or a close) proves the frame was processed. Not the exact
      // string {"op":"ping"}, which the runtime answers itself without waking the object (out of order)
      sendRaw(sock, '{ "op": "ping" }');
      await sock.until((fs) => sock.closed || fs.slice(from).some((f) => f.op === "pong"), 5000);
      if (sock.closed) {
        if (!DOCUMENTED_CLOSES.includes(sock.closed.code)) problems.push(`undocumented close ${sock.closed.code}`);
        closes.push(sock.closed.code);
      }
      errorsSeen += sock.frames.slice(from).filter((f) => f.op === "error").length;
      problems.push(...checkAnswers(sock, from));
    }
    sock.close();

    // a flood of bad frames on one socket ends with the documented abuse close
    const flood = await connect(room.channelId, { token: fuzzer.token });
    for (let i = 0; i < PROTOCOL_LIMITS.abuseErrorsPerMinute + 5; i++) sendRaw(flood, "{not json");
    await flood.until(() => flood.closed, 10_000);
    expect(flood.closed?.code).toBe(CLOSE.abuse);

    // the well-behaved socket saw nothing but normal traffic, and the room still stores and broadcasts
    problems.push(...checkAnswers(other, 0));
    const watcher = await connect(room.channelId, { token: room.owner.token });
    await watcher.next("context");
    other.send({ op: "message", content: "still here", nonce: "n1" });
    const ack = await other.next("message_ack", { nonce: "n1" });
    await watcher.next("message", { id: ack.id });
    other.close();
    watcher.close();

    report("ws-fuzz", { frames: frames.length, errors: errorsSeen, closes: closes.length, problems: problems.length });
    expect(problems).toEqual([]);
    expect(errorsSeen).toBeGreaterThan(FIXED.length / 2);
  });

  it("the gateway socket (GET /ws): bad frames get error ops or documented closes; it keeps serving", {
    timeout: 180_000,
  }, async () => {
    const room = await makeRoom();
    const fuzzer = await member(room);
    const GATEWAY_FIXED: string[] = [
      '{"op":"subscribe"}',
      '{"op":"subscribe","channels":"x"}',
      '{"op":"subscribe","channels":[]}',
      '{"op":"subscribe","channels":[1,null,{}]}',
      `{"op":"subscribe","channels":${JSON.stringify(Array.from({ length: PROTOCOL_LIMITS.gatewayChannels + 1 }, (_, i) => `c${i}`))}}`,
      `{"op":"subscribe","channels":["${room.channelId}"],"after_seq":{"${crypto.randomUUID()}":1}}`,
      `{"op":"subscribe","channels":["${room.channelId}"],"after_seq":{"${room.channelId}":-5}}`,
      '{"op":"subscribe","channels":["<script>","\u0000","../../etc"]}',
      '{"op":"subscribe","channels":["x"],"__proto__":{"admin":true}}',
      '{"op":"unsubscribe","channels":["never-subscribed"]}',
      '{"op":"message","channel":"<script>","content":"x","nonce":"n"}',
      `{"op":"message","channel":"${room.channelId}","content":"a\u0000b","nonce":"nul"}`,
      `{"op":"message","channel":"${room.channelId}","content":"x","reply_to":"' OR 1=1 --"}`,
      '{"op":"typing","channel":5}',
      '{"op":"resume","after_seq":1}',
    ];
    const frames: (string | Uint8Array)[] = [
      ...FIXED,
      ...GATEWAY_FIXED,
      ...fc.sample(
        fc
          .tuple(fc.constantFrom("subscribe", "unsubscribe", "message", "typing", "ping", ""), nastyJson, nastyJson)
          .map(([op, v, w]) => JSON.stringify({ op, channels: v, channel: w, content: v, after_seq: w, nonce: v })),
        GENERATED,
      ),
    ];
    const GATEWAY_OPS = ["subscribed", "unsubscribed", "resumed", "hello", ...["message_ack", "message"]];
    const problems: string[] = [];
    let sock = await connect("", { path: "/ws", token: fuzzer.token });
    let sent = 0;
    for (const frame of frames) {
      if (sock.closed || sent >= PROTOCOL_LIMITS.abuseErrorsPerMinute - 5) {
        sock.close();
        sock = await connect("", { path: "/ws", token: fuzzer.token });
        sent = 0;
      }
      const from = sock.frames.length;
      sendRaw(sock, frame);
      sent += 1;
      sendRaw(sock, '{ "op": "ping" }');
      await sock.until((fs) => sock.closed || fs.slice(from).some((f) => f.op === "pong"), 10_000);
      if (sock.closed && !DOCUMENTED_CLOSES.includes(sock.closed.code)) {
        problems.push(`undocumented close ${sock.closed.code}`);
      }
      problems.push(...checkAnswers(sock, from).filter((p) => !GATEWAY_OPS.some((op) => p.includes(`"op":"${op}"`))));
    }
    sock.close();
    // the gateway still subscribes and delivers
    const g = await connect("", { path: "/ws", token: fuzzer.token });
    g.send({ op: "subscribe", channels: [room.channelId] });
    await g.next("subscribed", { channel: room.channelId });
    g.send({ op: "message", channel: room.channelId, content: "after the fuzz", nonce: "ok" });
    await g.next("message_ack", { nonce: "ok" });
    await g.next("message", { content: "after the fuzz" });
    g.close();
    report("ws-fuzz-gateway", { frames: frames.length, problems: problems.length });
    expect(problems).toEqual([]);
  });
});
