import { describe, expect, it } from "vitest";
import { ClientOp, PROTOCOL_LIMITS, parseClientFrame, parseMentions, ServerOp } from "./index";

describe("protocol: client frames", () => {
  it("accepts every client op and defaults content_type to text", () => {
    const r = parseClientFrame(JSON.stringify({ op: "message", content: "hi", nonce: "x" }));
    expect(r).toEqual({ ok: true, op: { op: "message", content: "hi", content_type: "text", nonce: "x" } });
    for (const f of [{ op: "typing" }, { op: "ping" }, { op: "resume", after_seq: 0 }]) {
      expect(parseClientFrame(JSON.stringify(f)).ok).toBe(true);
    }
  });

  it("names what is wrong: bad JSON, non-object, unknown op, schema, oversize content and frames", () => {
    expect(parseClientFrame("{nope")).toMatchObject({ ok: false, code: "bad_frame" });
    expect(parseClientFrame("[1]")).toMatchObject({ ok: false, code: "bad_frame" });
    expect(parseClientFrame(new ArrayBuffer(4))).toMatchObject({ ok: false, code: "bad_frame" });
    expect(parseClientFrame('{"op":"subscribe"}')).toMatchObject({ ok: false, code: "unknown_op" });
    expect(parseClientFrame('{"op":"resume","after_seq":-1}')).toMatchObject({ ok: false, code: "validation_failed" });
    expect(parseClientFrame('{"op":"message","content":"x","content_type":"html","nonce":"k"}')).toMatchObject({
      ok: false,
      code: "validation_failed",
      nonce: "k",
    });
    expect(parseClientFrame('{"op":"message","content":"x","extra":1}')).toMatchObject({ code: "validation_failed" });
    const long = JSON.stringify({ op: "message", content: "a".repeat(PROTOCOL_LIMITS.messageChars + 1) });
    expect(parseClientFrame(long)).toMatchObject({ ok: false, code: "content_too_long" });
    const huge = JSON.stringify({ op: "message", content: "é".repeat(PROTOCOL_LIMITS.frameBytes / 2 + 10) });
    expect(parseClientFrame(huge)).toMatchObject({ ok: false, code: "frame_too_large" });
    expect(ClientOp.safeParse({ op: "message", content: "" }).success).toBe(false);
  });

  it("server op schemas describe what the server sends", () => {
    expect(ServerOp.safeParse({ op: "resumed", seq: 3 }).success).toBe(true);
    expect(ServerOp.safeParse({ op: "error", code: "read_only", message: "x", nonce: null }).success).toBe(true);
    expect(ServerOp.safeParse({ op: "error", code: "nope", message: "x" }).success).toBe(false);
  });
});

describe("protocol: mentions", () => {
  it("finds distinct @usernames, lower-cased, not inside e-mail addresses", () => {
    expect(parseMentions("hi @Bob and @alice_2, @bob again; mail x@y.com @a")).toEqual(["bob", "alice_2"]);
  });
});
