// The channel's most recent message frames, in memory, exactly as they were broadcast (issue 9). A resume
// whose cursor falls inside this window is answered from here, synchronously, without a Postgres query —
// a reconnect storm of 1,000 sockets costs no database work. Seqs are contiguous (the object is its
// channel's only writer and broadcasts each committed batch in seq order); anything that breaks the run
// (a gap, a deleted/edited message it cannot patch) shortens or clears the window, and everything older
// than the window, or after an eviction (the window starts empty), is read from Postgres as before.
import type { ServerOp } from "../../protocol";

/** Frames kept (and at most this many bytes of them). */
export const RECENT_FRAMES = 2_000;
export const RECENT_BYTES = 4 * 1024 * 1024;

export class RecentFrames {
  #frames: string[] = [];
  #first = 0; // seq of #frames[0]
  #bytes = 0;

  get size(): number {
    return this.#frames.length;
  }

  /** The seq of the newest frame, or null when empty. */
  get lastSeq(): number | null {
    return this.#frames.length ? this.#first + this.#frames.length - 1 : null;
  }

  push(seq: number, data: string): void {
    const last = this.lastSeq;
    if (last === null || seq !== last + 1) {
      // first frame, or a break in the run: start again from here
      this.clear();
      this.#first = seq;
    }
    this.#frames.push(data);
    this.#bytes += data.length;
    while (this.#frames.length > RECENT_FRAMES || (this.#bytes > RECENT_BYTES && this.#frames.length > 1)) {
      this.#bytes -= (this.#frames.shift() ?? "").length;
      this.#first++;
    }
  }

  clear(): void {
    this.#frames = [];
    this.#bytes = 0;
  }

  /**
   * Every frame after `afterSeq`, oldest first, when the window holds all of them (afterSeq ≥ first − 1);
   * null when older frames are needed (read Postgres).
   */
  after(afterSeq: number): { seq: number; data: string }[] | null {
    if (!this.#frames.length || afterSeq < this.#first - 1) return null;
    const out: { seq: number; data: string }[] = [];
    for (let k = Math.max(0, afterSeq - this.#first + 1); k < this.#frames.length; k++) {
      out.push({ seq: this.#first + k, data: this.#frames[k] as string });
    }
    return out;
  }

  /**
   * Keep the window equal to what Postgres would replay after an edit or a delete published through the
   * object: a deleted message replays as `message_delete`, an edited one with its new content. A frame
   * that cannot be patched ends the window there (older frames are dropped; Postgres serves them).
   */
  apply(frame: ServerOp): void {
    if (frame.op !== "message_update" && frame.op !== "message_delete") return;
    const k = frame.seq - this.#first;
    if (k < 0 || k >= this.#frames.length) return;
    if (frame.op === "message_delete") {
      const del: ServerOp = { op: "message_delete", channel: frame.channel, id: frame.id, seq: frame.seq };
      this.#replace(k, JSON.stringify(del));
      return;
    }
    const old: unknown = JSON.parse(this.#frames[k] as string);
    if (!isMessageFrame(old) || old.id !== frame.id) {
      this.#dropThrough(k);
      return;
    }
    const { data: _d, schema: _s, ...rest } = old;
    this.#replace(
      k,
      JSON.stringify({
        ...rest,
        content: frame.content,
        content_type: frame.content_type,
        // issue 18: a structured message's payload follows its edit (and goes when it stops being json)
        ...(frame.content_type === "json" ? { data: frame.data ?? {}, schema: frame.schema ?? null } : {}),
        mentions: frame.mentions,
        edited_at: frame.edited_at,
      }),
    );
  }

  #replace(k: number, data: string): void {
    this.#bytes += data.length - (this.#frames[k] as string).length;
    this.#frames[k] = data;
  }

  #dropThrough(k: number): void {
    const gone = this.#frames.splice(0, k + 1);
    for (const g of gone) this.#bytes -= g.length;
    this.#first += gone.length;
  }
}

function isMessageFrame(x: unknown): x is { op: "message"; id: string } & Record<string, unknown> {
  return typeof x === "object" && x !== null && (x as { op?: unknown }).op === "message";
}
