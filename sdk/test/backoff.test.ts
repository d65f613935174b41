import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/socket";

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with full jitter below the ceiling", () => {
    const max = () => 0.999999;
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100 }, max))).toEqual([99, 199, 399, 799]);
    expect(backoffDelay(30, { initialMs: 100, maxMs: 5000 }, max)).toBe(4999);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
  });
});
