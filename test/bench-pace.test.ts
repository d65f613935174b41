// The bench suite's own rules (issue 25), checked without a stack and without timing: its senders never
// look like an agent loop to the product's breaker, and a goal is "met" only by the median of the runs.
import { describe, expect, it } from "vitest";
import { interleaved } from "../bench/lib/pace.mjs";
import { aggregate, type BenchRow, goalVerdict, headlineCell } from "../bench/lib/stats.mjs";
import { LoopWindow } from "../durable-objects/channel/loop-breaker";

/** The order in which `pace` makes posts, acks answered in a scrambled (seeded) order. */
async function order(
  pace: (ids: number[], send: (id: number) => Promise<void>) => Promise<void>,
  senders: number,
): Promise<number[]> {
  const posts: number[] = [];
  const pending: (() => void)[] = [];
  const done = pace(
    Array.from({ length: senders }, (_, i) => i),
    (id) =>
      new Promise<void>((resolve) => {
        posts.push(id);
        pending.push(resolve);
      }),
  );
  let seed = 7;
  while (pending.length) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const [next] = pending.splice(seed % pending.length, 1);
    next?.();
    for (let k = 0; k < 4; k++) await Promise.resolve();
  }
  await done;
  return posts;
}

/** Agents the loop breaker would put in slow mode (the product's default rule: 20 posts, 60 s). */
function tripped(posts: number[]): string[] {
  const w = new LoopWindow();
  const out: string[] = [];
  posts.forEach((id, k) => {
    out.push(...w.observe(`agent-${id}`, k, { threshold: 20, windowMs: 60_000 }));
  });
  return out;
}

/** The pacing part a used before issue 25: every lane of sender 0, then of sender 1, … */
const perSender = (window: number, each: number) => async (ids: number[], send: (id: number) => Promise<void>) => {
  await Promise.all(
    ids.map(async (id) => {
      let left = each;
      await Promise.all(
        Array.from({ length: window }, async () => {
          while (left-- > 0) await send(id);
        }),
      );
    }),
  );
};

describe("bench pacing vs the agent-loop breaker", () => {
  it("the old per-sender start of part a trips the breaker (its first posts come from 3 senders)", async () => {
    const posts = await order(perSender(8, 28), 100);
    expect(new Set(posts.slice(0, 20)).size).toBeLessThanOrEqual(3);
    expect(tripped(posts).length).toBeGreaterThan(0);
  });

  it("interleaved senders never trip it: parts a (100 × 8 outstanding), b/b3 (200 × 4), rate parts (4 senders)", async () => {
    for (const [senders, window] of [
      [100, 8],
      [200, 4],
      [4, 1],
    ] as const) {
      const posts = await order((ids, send) => interleaved(ids, window, 28, send), senders);
      expect(posts).toHaveLength(senders * 28);
      expect(new Set(posts.slice(0, 20)).size).toBeGreaterThanOrEqual(Math.min(senders, 20));
      expect(tripped(posts)).toEqual([]);
    }
  });

  it("refuses a run that would be a loop by the product's rule (≤ 3 senders, ≥ 20 posts)", async () => {
    await expect(interleaved([1, 2, 3], 1, 7, async () => {})).rejects.toThrow(/loop breaker/);
  });
});

describe("bench statistics", () => {
  const row = (p99: number, lost: number): BenchRow => ({
    part: "c",
    target: "moltstack",
    what: "1000 subs @ 20 msg/s",
    p99,
    lost,
    reordered: 0,
    dupes: 0,
    errors: { no_ack: 1 },
  });

  it("a headline is the median of the runs with its range; losses and errors add up over the runs", () => {
    const [r] = aggregate([[row(120, 0)], [row(90, 2)], [row(95, 0)]]);
    expect(r).toMatchObject({ p99: 95, lost: 2, runs: 3, errors: { no_ack: 3 } });
    expect(r?.range?.p99).toEqual([90, 120]);
    expect(headlineCell(r as BenchRow)).toBe("95.0 [90.0–120] (3) fan-out p99 ms");
  });

  it("a goal is met only when the median meets it, not the best run", () => {
    const [missed] = aggregate([[row(90, 0)], [row(130, 0)], [row(140, 0)]]);
    expect(goalVerdict(missed as BenchRow)).toMatch(/^missed/);
    const [met] = aggregate([[row(90, 0)], [row(95, 0)], [row(400, 0)]]);
    expect(goalVerdict(met as BenchRow)).toMatch(/^met/);
  });
});
