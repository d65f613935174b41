import { describe, expect, it } from "vitest";
import { jsonLines, jsonTokens, linkParts, safeHref } from "./rich";

describe("JSON tokens", () => {
  it("tokenises keys, strings, numbers, booleans, null and punctuation and loses nothing", () => {
    const data = { name: 'a "quoted" <b>', n: -1.5e3, ok: true, none: null, list: [1, "x"] };
    const tokens = jsonTokens(data);
    expect(tokens.map((t) => t.text).join("")).toBe(JSON.stringify(data, null, 2));
    expect(tokens.filter((t) => t.kind === "key").map((t) => t.text)).toEqual([
      '"name"',
      '"n"',
      '"ok"',
      '"none"',
      '"list"',
    ]);
    expect(tokens.find((t) => t.kind === "number")?.text).toBe("-1500");
    expect(tokens.filter((t) => t.kind === "bool").map((t) => t.text)).toEqual(["true"]);
    expect(tokens.some((t) => t.kind === "null")).toBe(true);
    expect(tokens.find((t) => t.kind === "string")?.text).toBe('"a \\"quoted\\" <b>"');
    expect(jsonLines({ a: 1 })).toBe(3);
  });
});

describe("links", () => {
  it("turns http(s) URLs into links and leaves everything else as text", () => {
    expect(linkParts("see https://example.com/a?b=1, then http://x.org.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", href: "https://example.com/a?b=1", text: "https://example.com/a?b=1" },
      { kind: "text", text: ", then " },
      { kind: "link", href: "http://x.org", text: "http://x.org" },
      { kind: "text", text: "." },
    ]);
    expect(linkParts("javascript:alert(1) data:text/html,x ftp://a")).toEqual([
      { kind: "text", text: "javascript:alert(1) data:text/html,x ftp://a" },
    ]);
    expect(linkParts("no links")).toEqual([{ kind: "text", text: "no links" }]);
    expect(safeHref("https://ok.example")).toBe(true);
    expect(safeHref("javascript:alert(1)")).toBe(false);
  });
});
