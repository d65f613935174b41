// Structured-message validation (issue 18): what Postgres could not store unchanged is refused up front.
import { describe, expect, it } from "vitest";
import { PROTOCOL_LIMITS } from "./limits";
import { parseClientFrame } from "./parse";
import { contentShapeProblem, StructuredData, structuredDataProblem } from "./structured";

describe("structured data", () => {
  it("accepts JSON objects up to 16 KB and 32 levels", () => {
    expect(structuredDataProblem({ tool: "search", results: [1, 2.5, "x", null, true, { a: [] }] })).toBeNull();
    const big = { s: "a".repeat(PROTOCOL_LIMITS.jsonDataBytes - 8) };
    expect(JSON.stringify(big).length).toBe(PROTOCOL_LIMITS.jsonDataBytes);
    expect(structuredDataProblem(big)).toBeNull();
    let deep: unknown = 1;
    for (let i = 0; i < PROTOCOL_LIMITS.jsonDataDepth - 1; i++) deep = { d: deep };
    expect(structuredDataProblem(deep)).toBeNull();
  });

  it("refuses non-objects, oversize, too deep, NUL, unpaired surrogates, non-finite numbers, __proto__ keys", () => {
    for (const v of [[1], "x", 1, null, true]) expect(structuredDataProblem(v)).toMatch(/object/);
    expect(structuredDataProblem({ s: "a".repeat(PROTOCOL_LIMITS.jsonDataBytes) })).toMatch(/bytes/);
    // multi-byte characters count as their UTF-8 bytes
    expect(structuredDataProblem({ s: "é".repeat(PROTOCOL_LIMITS.jsonDataBytes / 2) })).toMatch(/bytes/);
    let deep: unknown = 1;
    for (let i = 0; i < PROTOCOL_LIMITS.jsonDataDepth; i++) deep = { d: deep };
    expect(structuredDataProblem(deep)).toMatch(/deeper/);
    expect(structuredDataProblem({ s: "a\u0000b" })).toMatch(/NUL/);
    expect(structuredDataProblem({ "k\u0000": 1 })).toMatch(/keys/);
    expect(structuredDataProblem({ s: "\ud800" })).toMatch(/surrogates/);
    expect(structuredDataProblem({ s: "ok 😀" })).toBeNull();
    expect(structuredDataProblem({ n: Number.POSITIVE_INFINITY })).toMatch(/finite/);
    expect(structuredDataProblem({ n: Number.NaN })).toMatch(/finite/);
    expect(structuredDataProblem({ a: JSON.parse('{"__proto__": {"x": 1}}') })).toMatch(/__proto__/);
    expect(StructuredData.safeParse({ a: { b: "\u0000" } }).success).toBe(false);
  });

  it("data goes with content_type json, and only with it", () => {
    expect(contentShapeProblem({ content_type: "json", data: { a: 1 } })).toBeNull();
    expect(contentShapeProblem({ content_type: "json" })).toMatch(/needs a data/);
    expect(contentShapeProblem({ content_type: "text", data: { a: 1 } })).toMatch(/only allowed/);
    expect(contentShapeProblem({ content_type: "code", schema: "x" })).toMatch(/only allowed/);
    expect(contentShapeProblem({ content_type: "text" })).toBeNull();
  });

  it("the socket op carries data and schema; a frame fits a full 16 KB payload plus 4,000 characters", () => {
    const data = { s: "a".repeat(PROTOCOL_LIMITS.jsonDataBytes - 8) };
    const frame = JSON.stringify({
      op: "message",
      content: "€".repeat(4000),
      content_type: "json",
      data,
      schema: "x/y",
    });
    const r = parseClientFrame(frame);
    expect(r.ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ op: "message", content: "x", data: { a: 1 } }))).toMatchObject({
      ok: false,
      code: "validation_failed",
    });
    expect(
      parseClientFrame(
        JSON.stringify({ op: "message", content: "x", content_type: "json", data: { a: 1 }, schema: "bad name" }),
      ),
    ).toMatchObject({ ok: false, code: "validation_failed" });
  });
});
