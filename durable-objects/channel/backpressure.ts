// Backpressure for sockets that stop reading (issue 15): twenty sockets that never read grew the server by
// 200–250 MB, because every frame sent to them stays queued in the runtime. workerd exposes no
// `bufferedAmount` on server-side sockets (it is absent at runtime; workerd issue 988), so the object cannot
// see a socket's queue. It bounds instead what it sends to a socket that shows no sign of life: every
// frame and every ping from the client (ping is answered by the runtime's auto-response, whose time the
// object can read) resets the socket's count; once more than SOCKET_LIMITS.unreadBytes were sent since,
// the socket is closed with 4008 (the client reconnects and resumes) and nothing more is queued for it.
// A client that pings but never reads is not caught by this; what it can make the object queue is bounded
// by the replay limits (resume.ts) and the channel's own posting limits.
//
// Issue 25: one entry object per socket for the socket's life in this object (`alive` resets it in place),
// so the broadcast loop (receivers.ts) holds the entry beside the socket and counts with one addition:
// no map lookup, no allocation per send.

/** What was sent to one socket since its last sign of life. */
export interface UnreadEntry {
  bytes: number;
  /** ms epoch of the last sign of life (or of the first send in this object's life) */
  since: number;
}

export class UnreadLedger {
  #sent = new WeakMap<WebSocket, UnreadEntry>();

  constructor(
    readonly limit: number,
    /** ms epoch of the client's last auto-answered ping, or null */
    private readonly lastPing: (ws: WebSocket) => number | null,
  ) {}

  /** The client showed a sign of life: its count starts again. */
  alive(ws: WebSocket, now: number): void {
    const e = this.#sent.get(ws);
    if (e) {
      e.bytes = 0;
      e.since = now;
    } else this.#sent.set(ws, { bytes: 0, since: now });
  }

  /** The socket's entry (created on first use: the first send in this object's life, or after hibernation). */
  entry(ws: WebSocket, now: number): UnreadEntry {
    let e = this.#sent.get(ws);
    if (!e) {
      e = { bytes: 0, since: now };
      this.#sent.set(ws, e);
    }
    return e;
  }

  /** Count `bytes` about to be sent; false when the socket is over its limit with no sign of life since. */
  sent(ws: WebSocket, bytes: number, now: number): boolean {
    const e = this.entry(ws, now);
    e.bytes += bytes;
    return e.bytes <= this.limit || this.renew(ws, e, bytes, now);
  }

  /**
   * `e.bytes` went over the limit with the `bytes` just counted: only now ask the runtime when the client
   * last pinged (a native call). A ping since the count began starts a new count; else false (close it).
   */
  renew(ws: WebSocket, e: UnreadEntry, bytes: number, now: number): boolean {
    const ping = this.lastPing(ws);
    if (ping !== null && ping > e.since) {
      e.bytes = bytes;
      e.since = now;
      return true;
    }
    return false;
  }
}
