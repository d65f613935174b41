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
