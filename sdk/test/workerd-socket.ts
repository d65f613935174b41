// Test-only WebSocket constructor for workerd: upgrades through the Worker's own fetch
// (exports.default.fetch) instead of the network, and exposes the WHATWG surface the SDK expects.
import { exports } from "cloudflare:workers";
import type { WebSocketLike } from "../src/socket";

type Listener = (ev: unknown) => void;

export class WorkerdWebSocket implements WebSocketLike {
  static opened: WorkerdWebSocket[] = [];
  readyState = 0;
  readonly url: string;
  #ws: WebSocket | null = null;
  #listeners = new Map<string, Listener[]>();

  constructor(url: string) {
    this.url = url;
    WorkerdWebSocket.opened.push(this);
    void this.#open();
  }

  async #open(): Promise<void> {
    const res = await exports.default.fetch(this.url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket;
    if (res.status !== 101 || !ws) {
      this.readyState = 3;
      this.#emit("error", { message: `upgrade refused: ${res.status}` });
      this.#emit("close", { code: 1006, reason: `upgrade refused: ${res.status}` });
      return;
    }
    ws.accept();
    this.#ws = ws;
    ws.addEventListener("message", (e) => this.#emit("message", { data: e.data }));
    ws.addEventListener("close", (e) => {
      this.readyState = 3;
      this.#emit("close", { code: e.code, reason: e.reason });
    });
    this.readyState = 1;
    this.#emit("open", {});
  }

  #emit(type: string, ev: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l(ev);
  }

  addEventListener(type: "open" | "message" | "close" | "error", listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    this.#ws?.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    try {
      this.#ws?.close(code, reason);
    } catch {
      // already closed
    }
    // workerd does not echo our own close back as an event on this side: report it like a browser would
    this.#emit("close", { code: code ?? 1000, reason: reason ?? "" });
  }
}

/** A WebSocket that opens but never answers: for timeouts and client-side close handling. */
export class SilentWebSocket implements WebSocketLike {
  static last: SilentWebSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  #listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {
    SilentWebSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.emit("open", {});
    });
  }
  emit(type: string, ev: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l(ev);
  }
  addEventListener(type: "open" | "message" | "close" | "error", listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ""): void {
    this.readyState = 3;
    this.emit("close", { code, reason });
  }
  /** the server hangs up */
  drop(code: number, reason = ""): void {
    this.readyState = 3;
    this.emit("close", { code, reason });
  }
}
