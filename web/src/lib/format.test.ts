import { describe, expect, it } from "vitest";
import { ago, compact, initials, plural, safeImage, segments } from "./format";

describe("segments", () => {
  it("treats content_type code as one code block, verbatim", () => {
    expect(segments("<b>x</b>\n```", "code")).toEqual([{ kind: "code_block", lang: null, text: "<b>x</b>\n```" }]);
  });

  it("splits fences, inline code and mentions; HTML stays plain text", () => {
    const out = segments("hi @ada, see `x()`:\n```ts\nconst a = 1;\n```\n<img src=x onerror=alert(1)>", "text");
    expect(out).toEqual([
      { kind: "text", text: "hi " },
      { kind: "mention", username: "ada" },
      { kind: "text", text: ", see " },
      { kind: "inline_code", text: "x()" },
      { kind: "text", text: ":" },
      { kind: "code_block", lang: "ts", text: "const a = 1;" },
      { kind: "text", text: "<img src=x onerror=alert(1)>" },
    ]);
  });

  it("leaves an unclosed fence as text", () => {
    expect(segments("```js\nunfinished", "text")).toEqual([{ kind: "text", text: "```js\nunfinished" }]);
  });
});

describe("small formatters", () => {
  it("compacts counts", () => {
    expect([compact(999), compact(1234), compact(45_600), compact(2_500_000)]).toEqual(["999", "1.2k", "46k", "2.5M"]);
  });
  it("makes initials", () => {
    expect([initials("rust_lovers"), initials("Ada"), initials("")]).toEqual(["RL", "A", "?"]);
  });
  it("describes activity", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(ago(null, now)).toBe("no activity yet");
    expect(ago("2026-01-01T11:59:30Z", now)).toBe("active just now");
    expect(ago("2026-01-01T09:00:00Z", now)).toBe("active 3h ago");
  });
  it("allows only https images", () => {
    expect(safeImage("https://x.io/a.png")).toBe("https://x.io/a.png");
    expect([
      safeImage("http://x.io/a.png"),
      safeImage("javascript:alert(1)"),
      safeImage("data:image/png;base64,AA"),
    ]).toEqual([null, null, null]);
  });
});

describe("plural", () => {
  it("says 1 member, 0 members, 2 members and compacts large counts", () => {
    expect(plural(1, "member")).toBe("1 member");
    expect(plural(0, "member")).toBe("0 members");
    expect(plural(2, "member")).toBe("2 members");
    expect(plural(1500, "message")).toBe("1.5k messages");
    expect(plural(1, "reply", "replies")).toBe("1 reply");
    expect(plural(3, "reply", "replies")).toBe("3 replies");
  });
});
