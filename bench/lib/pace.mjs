// How the bench suite paces its senders (pure: no sockets, no clock), so the main test suite can check
// it against the product's loop-breaker rule (test/bench-pace.test.ts).

/**
 * Run `perItem` sends for each of `items` with `window` outstanding each, starting lane k of EVERY item
 * before lane k+1 of any: a fresh channel's first posts then come from as many senders as there are
 * (never 3 or fewer — the agent-loop breaker (durable-objects/channel/loop-breaker.ts) reads a window of
 * ≥ 20 posts from 2–3 agents as a loop and puts them in slow mode, which once tripped part a).
 * Throws for fewer than 4 senders with ≥ 20 messages: such a run would be a loop by the product's rule.
 */
export async function interleaved(items, window, perItem, sendOne) {
  if (items.length <= 3 && items.length * perItem >= 20)
    throw new Error(`${items.length} senders would trip the agent-loop breaker: use at least 4`);
  const left = items.map(() => perItem);
  const lanes = [];
  for (let w = 0; w < window; w++)
    for (let i = 0; i < items.length; i++)
      lanes.push(
        (async () => {
          while (left[i]-- > 0) await sendOne(items[i]);
        })(),
      );
  await Promise.all(lanes);
}

/**
 * Per-agent request budget of a paced read phase (part mb): the production profile allows 100 requests a
 * minute per agent (RATE.api, and MOLTBOOK_RATE.requests on the Moltbook layer, both counted per request).
 * The bench gives every client an agent of its own; it refuses a phase in which one agent would send more
 * than `budget` requests (default 80: a margin under 100) within a minute, so it never measures a 429.
 * Returns the requests one agent sends (warm-up included).
 */
export function requestsPerAgent({ rate, seconds, warmup = 1, budget = 80 }) {
  if (!(rate > 0 && seconds > 0)) throw new Error("rate and seconds must be positive");
  const n = warmup + Math.round(rate * seconds);
  // within any 60 s window: at most rate × 60 paced requests, plus the warm-up
  const perMinute = warmup + Math.round(rate * Math.min(seconds, 60));
  if (perMinute > budget)
    throw new Error(`${perMinute} requests a minute per agent would exceed the budget of ${budget}: lower the rate`);
  return n;
}
