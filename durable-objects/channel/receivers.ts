// The broadcast send loop (issue 25, docs/BENCHMARKS.md "Fan-out send path"). A broadcast to 1,000
// sockets is 1,000 `send()`s on the object's single thread, so everything else per socket is kept out of
// the loop:
//   - the receiving sockets are listed once and kept in memory, each beside its backpressure entry
//     (backpressure.ts) and whether it negotiated batch frames — not asked of the runtime per message
//     (`getWebSockets(tag)`), not looked up in a WeakMap per send. The list is dropped (and rebuilt on the
//     next broadcast) whenever a socket leaves: close, error, a failed send, a slow reader; a socket
//     accepted meanwhile is appended; after hibernation the object starts without one;
//   - one clock read per broadcast, one addition per socket for the unread count (the runtime is asked
//     for the client's last ping only when a socket is over its budget);
//   - `send()` is never awaited; a send that throws is a disconnect (the socket is closed, the list dropped).
// Frames ready together (a committed batch of messages, with whatever else the same turn broadcast) go out
// as one run: one frame per op to plain sockets, in order; ONE `batch` frame carrying them all to sockets
// that asked for it with `?frames=batch` (protocol/ops.ts BatchOp), serialised once per run from the
// frames' strings, never re-stringified per socket.
import { CLOSE, PROTOCOL_LIMITS } from "../../protocol";
import type { UnreadEntry, UnreadLedger } from "./backpressure";
import { safeClose, safeSend } from "./sockets";

/** Tag of sockets that negotiated batch frames (`?frames=batch`); tags survive hibernation. */
export const BATCH_TAG = "fb";

/** A frame ready to broadcast; `seq` for a new message (resume de-duplicates by it), else null. */
export interface OutFrame {
  seq: number | null;
  data: string;
}

interface Receiver {
  readonly ws: WebSocket;
  readonly e: UnreadEntry;
  readonly batch: boolean;
}

/**
 * The `batch` frames carrying `datas` (each a serialised ServerOp), in order: as few as fit in
 * PROTOCOL_LIMITS.batchFrameBytes each (by UTF-16 length, which bounds the UTF-8 bytes of these ASCII-heavy
 * frames well enough); a frame longer than that goes in a batch of its own.
 */
export function batchFrames(datas: readonly string[], maxChars: number = PROTOCOL_LIMITS.batchFrameBytes): string[] {
  const out: string[] = [];
  let run: string[] = [];
  let size = 0;
  const close = () => {
    if (run.length) out.push(`{"op":"batch","frames":[${run.join(",")}]}`);
    run = [];
    size = 0;
  };
  for (const d of datas) {
    if (run.length && size + d.length + 1 > maxChars) close();
    run.push(d);
    size += d.length + 1;
  }
  close();
  return out;
}

export class Receivers {
  #list: Receiver[] | null = null;

  constructor(
    /** the runtime's list of sockets with a tag (null: all of them) */
    private readonly sockets: (tag: string | null) => WebSocket[],
    /** tag of the sockets that receive broadcasts (null: every socket) */
    private readonly tag: string | null,
    private readonly ledger: UnreadLedger,
    private readonly now: () => number,
    /** a socket closed by the loop for not reading (4008): the owner forgets it (presence, resume) */
    private readonly slowReader: (ws: WebSocket) => void,
  ) {}

  /** A socket left (or may have): the list is rebuilt on the next broadcast. */
  invalidate(): void {
    this.#list = null;
  }

  /** A receiving socket was just accepted (`batch`: it negotiated batch frames). */
  accepted(ws: WebSocket, batch: boolean): void {
    this.#list?.push({ ws, e: this.ledger.entry(ws, this.now()), batch });
  }

  list(): readonly Receiver[] {
    if (this.#list) return this.#list;
    const now = this.now();
    const batch = this.sockets(BATCH_TAG);
    const batchSet = batch.length ? new Set(batch) : null;
    this.#list = this.sockets(this.tag).map((ws) => ({
      ws,
      e: this.ledger.entry(ws, now),
      batch: batchSet?.has(ws) ?? false,
    }));
    return this.#list;
  }

  /**
   * Send `frames`, in order, to every receiving socket; sockets replaying history (`resuming`) get them in
   * their buffer instead (resume.ts releases it after the replay). Returns how many sockets received.
   */
  send(frames: readonly OutFrame[], resuming: ReadonlyMap<WebSocket, OutFrame[]>): number {
    const list = this.list();
    const n = list.length;
    const first = frames[0];
    if (n === 0 || !first) return 0;
    const now = this.now();
    const limit = this.ledger.limit;
    const single = frames.length === 1 ? first.data : null;
    let plainBytes = 0;
    for (const f of frames) plainBytes += f.data.length;
    let batched: string[] | null = null;
    let batchedBytes = 0;
    const buffering = resuming.size > 0;
    let lost = false;
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const r = list[i] as Receiver;
      const ws = r.ws;
      if (buffering) {
        const buf = resuming.get(ws);
        if (buf) {
          for (const f of frames) buf.push(f);
          continue;
        }
      }
      let bytes = plainBytes;
      if (single === null && r.batch) {
        if (batched === null) {
          batched = batchFrames(frames.map((f) => f.data));
          for (const b of batched) batchedBytes += b.length;
        }
        bytes = batchedBytes;
      }
      const e = r.e;
      e.bytes += bytes;
      if (e.bytes > limit && !this.ledger.renew(ws, e, bytes, now)) {
        safeClose(ws, CLOSE.slowReader, "not reading: reconnect and resume");
        this.slowReader(ws);
        lost = true;
        continue;
      }
      delivered++;
      if (single !== null) {
        if (!safeSend(ws, single)) lost = true;
      } else if (r.batch && batched) {
        for (const b of batched) {
          if (safeSend(ws, b)) continue;
          lost = true;
          break;
        }
      } else {
        for (const f of frames) {
          if (safeSend(ws, f.data)) continue;
          lost = true;
          break;
        }
      }
    }
    if (lost) this.#list = null;
    return delivered;
  }
}
