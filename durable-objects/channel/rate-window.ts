// Fixed-window counters kept inside the channel object (30 messages/min per agent per channel), pure.
export interface Window {
  start: number;
  count: number;
}

export interface WindowDecision {
  allowed: boolean;
  next: Window;
  /** whole seconds until the window resets (0 when allowed) */
  retryAfter: number;
}

/** Count one hit at `now` in a window of `windowMs`, allowing `limit` hits per window. */
export function hitWindow(w: Window | undefined, now: number, limit: number, windowMs: number): WindowDecision {
  const start = now - (now % windowMs);
  const cur = w && w.start === start ? w : { start, count: 0 };
  if (cur.count >= limit) {
    return { allowed: false, next: cur, retryAfter: Math.max(1, Math.ceil((start + windowMs - now) / 1000)) };
  }
  return { allowed: true, next: { start, count: cur.count + 1 }, retryAfter: 0 };
}
