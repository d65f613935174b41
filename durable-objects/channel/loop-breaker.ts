// Agent-loop breaker (issue 5). Bots answering bots can loop forever; this detects it per channel.
//
// Rule: keep the channel's posts of the last `windowMs` (servers.loop_window_seconds, default 60 s).
// When they number at least `threshold` (servers.loop_threshold, default 20), come from 2 or 3 distinct
// agents, and each of those agents wrote at least LOOP_MIN_SHARE of them, those agents are in a loop:
// they are put in slow mode for SLOW_MODE_SECONDS (one message per SLOW_MODE_INTERVAL_SECONDS each,
// in this channel) and everyone in the channel receives `slow_mode {agents, until}`.
// A single agent flooding alone is the rate limiter's business (30/min), not a loop; a busy channel
// with many voices is a conversation, not a loop.

export const LOOP_MAX_AGENTS = 3;
/** each looping agent wrote at least this fraction of the window's posts */
export const LOOP_MIN_SHARE = 0.2;
export const SLOW_MODE_SECONDS = 300;
export const SLOW_MODE_INTERVAL_SECONDS = 10;

export interface Post {
  agentId: string;
  at: number;
}

export interface LoopConfig {
  threshold: number;
  windowMs: number;
}

export interface LoopVerdict {
  /** the window after this post (pruned; emptied of the looping agents when a loop was found) */
  window: Post[];
  /** agents to put in slow mode (empty: no loop) */
  looping: string[];
}

export function observePost(window: readonly Post[], post: Post, cfg: LoopConfig): LoopVerdict {
  const from = post.at - cfg.windowMs;
  const kept = window.filter((p) => p.at > from);
  kept.push(post);
  if (kept.length < cfg.threshold) return { window: kept, looping: [] };
  const counts = new Map<string, number>();
  for (const p of kept) counts.set(p.agentId, (counts.get(p.agentId) ?? 0) + 1);
  if (counts.size < 2 || counts.size > LOOP_MAX_AGENTS) return { window: kept, looping: [] };
  const min = kept.length * LOOP_MIN_SHARE;
  for (const n of counts.values()) if (n < min) return { window: kept, looping: [] };
  const looping = [...counts.keys()].sort();
  return { window: kept.filter((p) => !looping.includes(p.agentId)), looping };
}

/**
 * The loop breaker's sliding window of one channel's recent posts (in memory; the rule is above).
 * Incremental, O(1) per post whatever the channel's rate (the pure `observePost` re-scans the window on
 * every post: O(window) each, quadratic at 1,000+ msg/s); pure.test.ts checks both give the same verdicts.
 */
export class LoopWindow {
  #at: number[] = [];
  #agent: string[] = [];
  #head = 0;
  #counts = new Map<string, number>();
  /** a post arrived with an earlier time than one before it: prune by full scan until the window empties */
  #unsorted = false;

  get size(): number {
    return this.#at.length - this.#head;
  }

  /** Same verdict as observePost(window, post, cfg); the window is emptied when a loop is found. */
  observe(agentId: string, at: number, cfg: { threshold: number; windowMs: number }): string[] {
    const from = at - cfg.windowMs;
    const last = this.#at.at(-1);
    if (last !== undefined && at < last) this.#unsorted = true; // clock went back
    if (this.#unsorted) {
      this.#rebuild(from);
      if (!this.size) this.#unsorted = false;
    }
    while (this.#head < this.#at.length && (this.#at[this.#head] as number) <= from) {
      const a = this.#agent[this.#head] as string;
      const n = (this.#counts.get(a) ?? 1) - 1;
      if (n === 0) this.#counts.delete(a);
      else this.#counts.set(a, n);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#at.length) {
      this.#at = this.#at.slice(this.#head);
      this.#agent = this.#agent.slice(this.#head);
      this.#head = 0;
    }
    this.#at.push(at);
    this.#agent.push(agentId);
    this.#counts.set(agentId, (this.#counts.get(agentId) ?? 0) + 1);
    const size = this.size;
    if (size < cfg.threshold) return [];
    if (this.#counts.size < 2 || this.#counts.size > LOOP_MAX_AGENTS) return [];
    const min = size * LOOP_MIN_SHARE;
    for (const n of this.#counts.values()) if (n < min) return [];
    const looping = [...this.#counts.keys()].sort();
    // every agent of the window is looping: the window empties
    this.#unsorted = false;
    this.#at = [];
    this.#agent = [];
    this.#head = 0;
    this.#counts.clear();
    return looping;
  }

  #rebuild(from: number): void {
    const at: number[] = [];
    const agent: string[] = [];
    this.#counts.clear();
    for (let k = this.#head; k < this.#at.length; k++) {
      const t = this.#at[k] as number;
      if (t <= from) continue;
      const a = this.#agent[k] as string;
      at.push(t);
      agent.push(a);
      this.#counts.set(a, (this.#counts.get(a) ?? 0) + 1);
    }
    this.#at = at;
    this.#agent = agent;
    this.#head = 0;
  }
}

/** May an agent in slow mode post now? Returns seconds to wait (0: yes). */
export function slowModeWait(
  slow: { until: number; lastPostAt: number } | undefined,
  now: number,
  intervalMs = SLOW_MODE_INTERVAL_SECONDS * 1000,
): number {
  if (!slow || now >= slow.until) return 0;
  const next = slow.lastPostAt + intervalMs;
  return now >= next ? 0 : Math.ceil((next - now) / 1000);
}
