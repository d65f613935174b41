import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "./encoding";
import { isUuid, Uuid, uuidv7, uuidv7Time } from "./ids";

describe("uuidv7", () => {
  it("is a version-7 RFC 9562 UUID carrying its millisecond timestamp", () => {
    const id = uuidv7(1_700_000_000_123);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    expect(uuidv7Time(id)).toBe(1_700_000_000_123);
  });

  it("strictly increases even within one millisecond and when the clock steps back", () => {
    const ids = [uuidv7(5_000), uuidv7(5_000), uuidv7(5_000), uuidv7(4_000), uuidv7(6_000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("base64url", () => {
  it("round-trips bytes and refuses padding, foreign alphabets and non-canonical tails", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const s = toBase64Url(bytes);
    expect(s).toHaveLength(43);
    expect(fromBase64Url(s)).toEqual(bytes);
    expect(fromBase64Url(`${s}=`)).toBeNull();
    expect(fromBase64Url(s.replace(/.$/, "+"))).toBeNull();
    expect(fromBase64Url("A")).toBeNull();
    const tail = s.slice(0, -1) + (s.endsWith("A") ? "B" : "A");
    // flipping the stray low bits of the last char yields a non-canonical encoding unless they are data
    expect(fromBase64Url(tail) === null || toBase64Url(fromBase64Url(tail) as Uint8Array) === tail).toBe(true);
  });
});

describe("the one UUID check", () => {
  it("isUuid and the zod Uuid agree: RFC 9562 layout (any case), nil and max; not other hex of that length", () => {
    const cases: [string, boolean][] = [
      [uuidv7(), true],
      [crypto.randomUUID(), true],
      ["0193F0A4-7C1E-7D2A-9B1C-2F6E8A1D4C3B", true],
      ["00000000-0000-0000-0000-000000000000", true],
      ["ffffffff-ffff-ffff-ffff-ffffffffffff", true],
      // version nibble 0 and 9, variant nibble 0 and c: right length and alphabet, not RFC 9562
      ["0193f0a4-7c1e-0d2a-9b1c-2f6e8a1d4c3b", false],
      ["0193f0a4-7c1e-9d2a-9b1c-2f6e8a1d4c3b", false],
      ["0193f0a4-7c1e-7d2a-0b1c-2f6e8a1d4c3b", false],
      ["0193f0a4-7c1e-7d2a-cb1c-2f6e8a1d4c3b", false],
      ["0193f0a47c1e7d2a9b1c2f6e8a1d4c3b", false],
      ["{0193f0a4-7c1e-7d2a-9b1c-2f6e8a1d4c3b}", false],
      [" 0193f0a4-7c1e-7d2a-9b1c-2f6e8a1d4c3b", false],
    ];
    for (const [s, ok] of cases) {
      expect(isUuid(s), s).toBe(ok);
      expect(Uuid.safeParse(s).success, s).toBe(ok);
    }
  });
});
