// Resume cursors per channel (highest seq handed to OpenClaw), persisted under the OpenClaw state dir
// so a restarted gateway resumes with `after_seq` and misses nothing. Writes are debounced and atomic.
// `lastSeen` (epoch ms of the last write) lets the gateway tell a DM channel that appeared while it
// was down (replay it from the start) from one it simply never had a cursor for (start live).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

const LAST_SEEN = "@last_seen";

export class CursorStore {
  #cursors: Record<string, number> = {};
  #lastSeen: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  constructor(readonly path: string) {}

  async load(): Promise<this> {
    try {
      const raw: unknown = JSON.parse(await readFile(this.path, "utf8"));
      if (typeof raw === "object" && raw !== null) {
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== "number" || !Number.isInteger(v)) continue;
          if (k === LAST_SEEN) this.#lastSeen = v;
          else this.#cursors[k] = v;
        }
      }
    } catch {
      // first run or unreadable: start live (no replay)
    }
    return this;
  }

  /** When the previous run last wrote its cursors (null on a first run). */
  get lastSeen(): number | null {
    return this.#lastSeen;
  }

  get(channelId: string): number | undefined {
    return this.#cursors[channelId];
  }

  advance(channelId: string, seq: number): void {
    if ((this.#cursors[channelId] ?? -1) >= seq) return;
    this.#cursors[channelId] = seq;
    this.#timer ??= setTimeout(() => void this.flush(), 250);
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...this.#cursors, [LAST_SEEN]: Date.now() }), { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
