import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "./encoding";
import { isUuid, uuidv7, uuidv7Time } from "./ids";

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
