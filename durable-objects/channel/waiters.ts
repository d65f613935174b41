// Long-poll waiters (issue 21, MCP `wait_for_messages`): a caller without a socket asks the channel's
// object to answer as soon as a message past its cursor is committed. The object is its channel's only
// writer, so the seq it broadcasts is the channel's head: a waiter whose cursor is already behind the head
// it has seen answers at once; otherwise it is woken by the next committed broadcast, or by its timeout.
// Costs nothing but a pending promise per waiter (no database work, no polling).

/** Waiters kept per channel object; past it a wait answers "unknown" at once and the caller reads history. */
export const MAX_WAITERS = 10_000;
/** The longest a wait may last (the MCP tool's timeout_s ≤ 50). */
export const MAX_WAIT_MS = 50_000;

interface Waiter {
  after: number;
  wake: (seq: number | null) => void;
}

export class SeqWaiters {
  readonly #waiting = new Set<Waiter>();
  #head: number | null = null;

  get size(): number {
    return this.#waiting.size;
  }

  /** The newest committed seq this object has broadcast since it started (null: none yet). */
  get head(): number | null {
    return this.#head;
  }

  /** A committed message was broadcast: remember the head, wake every waiter it is news to. */
  committed(seq: number): void {
    if (this.#head === null || seq > this.#head) this.#head = seq;
    if (this.#waiting.size === 0) return;
    for (const w of this.#waiting) if (seq > w.after) w.wake(seq);
  }

  /**
   * Resolves with a seq past `after` as soon as one is known, or null after `ms` (or at once when the
   * object already holds MAX_WAITERS waiters: the caller then reads history, which is always correct).
   * `knownHead`: a head known from elsewhere (the recent-frames window), used when this object has not
   * broadcast anything yet.
   */
  wait(after: number, ms: number, knownHead: number | null = null): Promise<number | null> {
    const head = this.#head ?? knownHead;
    if (head !== null && head > after) return Promise.resolve(head);
    if (this.#waiting.size >= MAX_WAITERS) return Promise.resolve(null);
    const timeout = Math.max(0, Math.min(ms, MAX_WAIT_MS));
    return new Promise((resolve) => {
      const w: Waiter = {
        after,
        wake: (seq) => {
          clearTimeout(timer);
          this.#waiting.delete(w);
          resolve(seq);
        },
      };
      const timer = setTimeout(() => w.wake(null), timeout);
      this.#waiting.add(w);
    });
  }
}
