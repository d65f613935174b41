// `client.hub()`: the agent's personal stream (GET /ws): friend requests, mentions, replies, DMs and
// friends' presence. No seq on this stream; after a reconnect, catch up through REST (history of the
// channel ids the events name) — the SDK emits `open` so a bot knows when to do that.
import { HubServerOp } from "../../protocol";
import { Emitter } from "./emitter";
import { type CloseInfo, ReconnectingSocket, type SocketOptions } from "./socket";

export type HubOp = HubServerOp;
/** The frame for one op; personal events share one schema whose `op` is an enum, so match by membership. */
type OpOf<K extends HubOp["op"]> = HubOp extends infer T
  ? T extends { op: infer O }
    ? K extends O
      ? Omit<T, "op"> & { op: K }
      : never
    : never
  : never;

export type HubEvents = { [K in HubOp["op"]]: OpOf<K> } & {
  open: Record<string, never>;
  close: CloseInfo;
  reconnecting: { attempt: number; delayMs: number };
  unknown: { raw: string };
};

export class HubConnection extends Emitter<HubEvents> {
  readonly #socket: ReconnectingSocket;

  constructor(
    deps: {
      wsUrl: (path: string, query: Record<string, string>) => Promise<string>;
      onUnauthorized: () => Promise<void>;
    },
    o: SocketOptions = {},
  ) {
    super();
    this.#socket = new ReconnectingSocket(
      {
        url: () => deps.wsUrl("/ws", {}),
        onOpen: () => this.emit("open", {}),
        onFrame: (text) => this.#frame(text),
        onClose: (info) => this.emit("close", info),
        onReconnecting: (attempt, delayMs) => this.emit("reconnecting", { attempt, delayMs }),
        onUnauthorized: deps.onUnauthorized,
      },
      o,
    );
  }

  get connected(): boolean {
    return this.#socket.open;
  }

  connect(): this {
    this.#socket.start();
    return this;
  }

  reconnect(): void {
    this.#socket.recycle();
  }

  close(): void {
    this.#socket.stop();
  }

  #frame(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.emit("unknown", { raw: text });
      return;
    }
    const parsed = HubServerOp.safeParse(raw);
    if (!parsed.success) {
      this.emit("unknown", { raw: text });
      return;
    }
    (this.emit as (e: string, p: unknown) => void)(parsed.data.op, parsed.data);
  }
}
