// A WebSocket that stays connected: jittered exponential backoff, heartbeats, and a fresh URL (so a
// fresh token) on every attempt. Protocol-specific handling lives in channel.ts and hub.ts.
import { CLOSE } from "../../protocol";

/** What the SDK needs from a WebSocket: the WHATWG API (browsers, Workers, Node ≥ 22, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (ev: unknown) => void): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface BackoffOptions {
  /** first delay ceiling (ms), default 500 */
  initialMs?: number;
  /** delay ceiling (ms), default 30 000 */
  maxMs?: number;
  /** growth per attempt, default 2 */
  factor?: number;
}

export interface SocketOptions {
  /** WebSocket constructor; default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** reconnect after unexpected closes (default true) */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** ping interval (ms), default 25 000; the socket is recycled after 2 intervals without any frame */
  heartbeatMs?: number;
  /** random source for jitter (tests make it deterministic) */
  random?: () => number;
}

/**
 * "Full jitter" (delay uniformly in [0, ceiling)) spreads a fleet of bots reconnecting after an outage
 * instead of having them stampede the server in lockstep.
 */
export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 500) * (o.factor ?? 2) ** attempt);
  return Math.floor(random() * ceiling);
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** whether another attempt is scheduled */
  reconnecting: boolean;
}

export interface SocketHooks {
  url(): Promise<string>;
  onOpen(): void;
  onFrame(text: string): void;
  onClose(info: CloseInfo): void;
  onReconnecting(attempt: number, delayMs: number): void;
  /** the server said the token is no longer valid (close 4001): refresh before the next attempt */
  onUnauthorized(): Promise<void>;
}

/** Close codes after which reconnecting cannot help: the agent lost access or the channel is gone. */
const FINAL = new Set<number>([CLOSE.forbidden, CLOSE.gone]);

export class ReconnectingSocket {
  #ws: WebSocketLike | null = null;
  #attempt = 0;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #lastFrameAt = 0;
  readonly #o: SocketOptions;
  readonly #h: SocketHooks;

  constructor(hooks: SocketHooks, o: SocketOptions = {}) {
    this.#h = hooks;
    this.#o = o;
  }

  get open(): boolean {
    return this.#ws?.readyState === 1;
  }

  start(): void {
    this.#stopped = false;
    void this.#connect();
  }

  send(text: string): boolean {
    if (this.#ws?.readyState !== 1) return false;
    this.#ws.send(text);
    return true;
  }

  /** Close for good (no reconnect). */
  stop(code = CLOSE.normal, reason = "client closed"): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#stopHeartbeat();
    const ws = this.#ws;
    this.#ws = null;
    try {
      ws?.close(code, reason);
    } catch {
      // already closed
    }
  }

  /** Drop the current socket and reconnect (used on heartbeat loss; also handy in tests). */
  recycle(): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#detach(ws, { code: 1006, reason: "recycled by client" });
    try {
      ws.close(CLOSE.normal, "recycle");
    } catch {
      // already closed
    }
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    let url: string;
    try {
      url = await this.#h.url();
    } catch {
      // e.g. the token refresh failed (network down): back off like a failed connect
      this.#schedule();
      return;
    }
    if (this.#stopped) return;
    const Ctor = this.#o.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TypeError("no WebSocket implementation: pass options.WebSocket (e.g. from the 'ws' package)");
    const ws = new Ctor(url);
    this.#ws = ws;
    let closed = false;
    ws.addEventListener("open", () => {
      if (this.#ws !== ws) return;
      this.#lastFrameAt = Date.now();
      this.#startHeartbeat();
      this.#h.onOpen();
      // One frame right away: the runtime completes a server-initiated close (a ban, a revocation, the
      // session cap) promptly only once the client has sent at least one frame (docs/REALTIME.md,
      // "Closing"). The server answers it without waking the channel object.
      this.send('{"op":"ping"}');
    });
    ws.addEventListener("message", (ev) => {
      if (this.#ws !== ws) return;
      this.#lastFrameAt = Date.now();
      // a frame proves the session works: the next outage starts again from the shortest delay
      this.#attempt = 0;
      const data = typeof ev === "object" && ev !== null && "data" in ev ? ev.data : undefined;
      if (typeof data === "string") this.#h.onFrame(data);
      else if (data instanceof ArrayBuffer) this.#h.onFrame(new TextDecoder().decode(data));
    });
    const onEnd = (ev: unknown) => {
      if (closed) return;
      closed = true;
      const e = typeof ev === "object" && ev !== null ? (ev as { code?: unknown; reason?: unknown }) : {};
      this.#detach(ws, {
        code: typeof e.code === "number" ? e.code : 1006,
        reason: typeof e.reason === "string" ? e.reason : "",
      });
    };
    ws.addEventListener("close", onEnd);
    // Node's WebSocket reports a refused upgrade as error (then close); either one ends the attempt
    ws.addEventListener("error", () => {
      if (ws.readyState !== 1) onEnd({ code: 1006, reason: "connection failed" });
    });
  }

  #detach(ws: WebSocketLike, e: { code: number; reason: string }): void {
    if (this.#ws !== ws) return;
    this.#ws = null;
    this.#stopHeartbeat();
    const reconnecting = !this.#stopped && this.#o.reconnect !== false && !FINAL.has(e.code);
    this.#h.onClose({ ...e, reconnecting });
    if (!reconnecting) return;
    if (e.code === CLOSE.unauthorized) {
      void this.#h.onUnauthorized().then(
        () => this.#schedule(),
        () => this.#schedule(),
      );
    } else if (e.code === CLOSE.sessionLimit) {
      // the 4-hour cap is routine: come straight back and resume
      this.#attempt = 0;
      this.#schedule(0);
    } else {
      this.#schedule();
    }
  }

  #schedule(delay?: number): void {
    if (this.#stopped) return;
    const attempt = this.#attempt++;
    const ms = delay ?? backoffDelay(attempt, this.#o.backoff, this.#o.random);
    this.#h.onReconnecting(attempt + 1, ms);
    this.#timer = setTimeout(() => void this.#connect(), ms);
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    const every = this.#o.heartbeatMs ?? 25_000;
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > 2 * every) {
        this.recycle();
        return;
      }
      this.send('{"op":"ping"}');
    }, every);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
