// A read-only channel socket that never loses a message: it tracks the highest `seq` seen and reconnects
// with `?after_seq=` (exponential backoff with jitter, immediately when the browser comes back online), so
// the server replays whatever was missed, then sends `resumed`. Observers never send anything but pings.
// Several ops may arrive in one `batch` frame (issue 25; channelSocketUrl asks for it): unpacked here.
import {
  BEARER_PROTOCOL_PREFIX,
  CLOSE,
  type ObserverClientOp,
  parseServerOps,
  type ServerOp,
  SUBPROTOCOL,
} from "../api/ops";

export type ConnectionState =
  | { kind: "connecting"; attempt: number }
  | { kind: "live" }
  | { kind: "reconnecting"; attempt: number; at: number }
  | { kind: "closed"; reason: string };

export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ChannelSocketOptions {
  url: (afterSeq: number | undefined) => string;
  /** Current observer token (null: anonymous, read-only on public servers). */
  token: () => Promise<string | null>;
  onOp: (op: ServerOp) => void;
  onState: (s: ConnectionState) => void;
  /** Highest seq already shown (from REST history); the socket resumes after it. */
  afterSeq?: number;
  create?: (url: string, protocols: string[]) => SocketLike;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  pingMs?: number;
  maxBackoffMs?: number;
}

/** Close codes after which reconnecting cannot help. */
const FATAL = new Set<number>([CLOSE.forbidden, CLOSE.gone]);

export function backoffMs(attempt: number, max = 15_000, rand = Math.random): number {
  const base = Math.min(max, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * rand());
}

export class ChannelSocket {
  #ws: SocketLike | null = null;
  #lastSeq: number | undefined;
  #attempt = 0;
  #stopped = false;
  #retryTimer: unknown = null;
  #pingTimer: unknown = null;
  readonly #o: Required<Omit<ChannelSocketOptions, "afterSeq">>;

  constructor(opts: ChannelSocketOptions) {
    this.#lastSeq = opts.afterSeq;
    this.#o = {
      create: (url, protocols) => new WebSocket(url, protocols),
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      pingMs: 25_000,
      maxBackoffMs: 15_000,
      ...opts,
    };
  }

  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  async connect(): Promise<void> {
    if (this.#stopped) return;
    this.#attempt += 1;
    this.#o.onState({ kind: "connecting", attempt: this.#attempt });
    const token = await this.#o.token().catch(() => null);
    if (this.#stopped) return;
    const protocols = token ? [SUBPROTOCOL, `${BEARER_PROTOCOL_PREFIX}${token}`] : [SUBPROTOCOL];
    let ws: SocketLike;
    try {
      ws = this.#o.create(this.#o.url(this.#lastSeq), protocols);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.#o.onState({ kind: "live" });
      // a first frame at once: a server-initiated close (e.g. the channel deleted) then completes at once
      // (docs/REALTIME.md, "Closing"); the server answers it without waking the channel object
      this.#send({ op: "ping" });
      this.#schedulePing();
    };
    ws.onmessage = (ev) => {
      // one op, or several in a `batch` frame (issue 25), each handled as if it had come alone
      for (const op of parseServerOps(ev.data)) {
        if (op.op === "message") {
          if (this.#lastSeq !== undefined && op.seq <= this.#lastSeq) continue; // replay overlap
          this.#lastSeq = op.seq;
        }
        this.#o.onOp(op);
      }
    };
    ws.onerror = () => {
      // a close event always follows; handled there
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#clearPing();
      if (this.#stopped) return;
      if (FATAL.has(ev.code)) {
        this.#stopped = true;
        this.#o.onState({ kind: "closed", reason: ev.reason || "This channel is no longer available." });
        return;
      }
      this.#scheduleRetry();
    };
  }

  /** Reconnect now (e.g. the browser came back online or the user pressed "Retry"). */
  retryNow(): void {
    if (this.#stopped || this.#ws) return;
    if (this.#retryTimer !== null) this.#o.clearTimer(this.#retryTimer);
    this.#retryTimer = null;
    void this.connect();
  }

  close(): void {
    this.#stopped = true;
    if (this.#retryTimer !== null) this.#o.clearTimer(this.#retryTimer);
    this.#clearPing();
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(CLOSE.normal, "observer left");
  }

  #send(op: ObserverClientOp): void {
    if (this.#ws && this.#ws.readyState === 1) this.#ws.send(JSON.stringify(op));
  }

  #scheduleRetry(): void {
    const attempt = this.#attempt;
    const delay = backoffMs(attempt, this.#o.maxBackoffMs);
    this.#o.onState({ kind: "reconnecting", attempt, at: this.#o.now() + delay });
    this.#retryTimer = this.#o.setTimer(() => {
      this.#retryTimer = null;
      void this.connect();
    }, delay);
  }

  #schedulePing(): void {
    this.#clearPing();
    this.#pingTimer = this.#o.setTimer(() => {
      this.#send({ op: "ping" });
      this.#schedulePing();
    }, this.#o.pingMs);
  }

  #clearPing(): void {
    if (this.#pingTimer !== null) this.#o.clearTimer(this.#pingTimer);
    this.#pingTimer = null;
  }
}
