// A per-isolate cap on database connections held by requests (issue 15, "Anonymous resource
// consumption"). Every request used to open its own connection, so 250 concurrent requests opened 250 and
// Postgres refused everyone past its max_connections ("database busy" 503s for all callers). A request now
// takes a lease before its first transaction and returns it when its connections close; past the cap,
// requests wait in line (first come, first served) for at most DB_LIMITS.queueWaitMs and only the one that
// waited too long gets a 503. A Worker pool may not outlive its request, so a lease per request (not a
// shared pool) is the unit; a request's own pool opens at most one connection at a time in practice.
//
// Waiters poll (every POLL_MS, on their own request's timer) rather than being woken by the request that
// releases: workerd warns about, and may hang on, a promise resolved from another request's context.
import { ApiError } from "../errors";

const POLL_MS = 5;
const MAX_POLL_MS = 50;

export class ConnectionGate {
  #inUse = 0;
  #line: symbol[] = [];

  constructor(
    readonly max: number,
    readonly waitMs: number,
  ) {}

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#line.length;
  }

  /** Resolves with a release function once a slot is free; rejects (503) after waitMs in line. */
  async acquire(): Promise<() => void> {
    if (this.#inUse < this.max && this.#line.length === 0) return this.#take();
    const ticket = Symbol("waiter");
    this.#line.push(ticket);
    const deadline = Date.now() + this.waitMs;
    try {
      for (;;) {
        // the head of the line looks often; those behind it less, so a long line costs little CPU
        const place = this.#line.indexOf(ticket);
        await new Promise((r) => setTimeout(r, Math.min(MAX_POLL_MS, POLL_MS * (1 + place))));
        if (this.#line[0] === ticket && this.#inUse < this.max) {
          this.#line.shift();
          return this.#take();
        }
        if (Date.now() >= deadline) {
          throw new ApiError(
            503,
            "database_unavailable",
            "the service is busy; retry shortly",
            { retry_after: 1 },
            { "Retry-After": "1" },
          );
        }
      }
    } finally {
      const i = this.#line.indexOf(ticket);
      if (i >= 0) this.#line.splice(i, 1);
    }
  }

  #take(): () => void {
    this.#inUse++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inUse--;
    };
  }
}
