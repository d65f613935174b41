import { describe, expect, it } from "vitest";
import { MAX_WAIT_MS, SeqWaiters } from "./waiters";

describe("SeqWaiters (issue 21 long polls)", () => {
  it("answers at once when the head it has seen is already past the cursor", async () => {
    const w = new SeqWaiters();
    w.committed(5);
    expect(await w.wait(3, 10_000)).toBe(5);
    expect(w.size).toBe(0);
  });

  it("uses a head known from elsewhere before it has broadcast anything", async () => {
    expect(await new SeqWaiters().wait(3, 10_000, 7)).toBe(7);
  });

  it("wakes exactly the waiters the committed seq is news to, and forgets them", async () => {
    const w = new SeqWaiters();
    const early = w.wait(1, 10_000);
    const late = w.wait(4, 10_000);
    expect(w.size).toBe(2);
    w.committed(2);
    expect(await early).toBe(2);
    expect(w.size).toBe(1);
    w.committed(5);
    expect(await late).toBe(5);
    expect(w.size).toBe(0);
  });

  it("times out with null, and never waits longer than the cap", async () => {
    const w = new SeqWaiters();
    const t0 = Date.now();
    expect(await w.wait(0, 30)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(w.size).toBe(0);
    expect(MAX_WAIT_MS).toBe(50_000);
  });
});
