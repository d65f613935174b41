// Replaying history into one socket without losing or reordering live traffic: live frames for the
// socket are buffered while the replay runs, then released (skipping what the replay already sent),
// then `resumed {seq}` says the client is caught up. The recent window (recent.ts) answers without a
// query when it holds everything after the cursor; older history comes from Postgres in chunks first.
// A viewer's replay (anonymous, observer) is cut to the newest SOCKET_LIMITS.viewerReplayMessages
// (issue 15: one 29-byte `resume {after_seq: 0}` replayed 21 MB); `resumed.from_seq` then says where it
// started. Every frame goes through core.send (backpressure: backpressure.ts); a socket that negotiated batch
// frames (issue 25) gets each run of replayed frames as `batch` frames (core.sendRun).
import type { ServerOp } from "../../protocol";
import type { OutFrame } from "./receivers";
import { framesAfter, framesLatest } from "./replay";
import type { RoomCore } from "./room-core";
import { safeSend } from "./sockets";

export function replayInto(core: RoomCore, ws: WebSocket, afterSeq: number, cap: number | null = null): void {
  if (core.resuming.has(ws)) return; // one replay at a time per socket
  core.resuming.set(ws, []);
  core.ctx.waitUntil(run(core, ws, afterSeq, cap));
}

/** Replay everything after `afterSeq`; with a cap, only the newest `cap`. Returns the last seq and where a cut replay began. */
async function replay(
  core: RoomCore,
  ws: WebSocket,
  afterSeq: number,
  cap: number | null,
): Promise<{ last: number; from?: number } | null> {
  let last = afterSeq;
  if (cap !== null) {
    let frames = core.recent.after(last);
    let cut = false;
    if (frames) {
      cut = frames.length > cap;
      if (cut) frames = frames.slice(-cap);
    } else {
      ({ frames, cut } = await framesLatest(core.db(), core.channelId, last, cap));
    }
    if (!core.sendRun(ws, frames)) return null;
    const from = cut ? frames[0]?.seq : undefined;
    return { last: frames.at(-1)?.seq ?? last, ...(from !== undefined ? { from } : {}) };
  }
  for (;;) {
    const recent = core.recent.after(last);
    if (recent) {
      if (!core.sendRun(ws, recent)) return null;
      return { last: recent.at(-1)?.seq ?? last };
    }
    const chunk = await framesAfter(core.db(), core.channelId, last);
    if (!core.sendRun(ws, chunk.frames)) return null;
    last = chunk.lastSeq;
    if (!chunk.more) return { last };
  }
}

async function run(core: RoomCore, ws: WebSocket, afterSeq: number, cap: number | null): Promise<void> {
  let done: { last: number; from?: number } | null;
  try {
    done = await replay(core, ws, afterSeq, cap);
    if (!done) return;
  } catch (e) {
    core.dbFailed(e);
    safeSend(
      ws,
      JSON.stringify({
        op: "error",
        code: "unavailable",
        message: "resume failed; send resume again",
      } satisfies ServerOp),
    );
    const buf = core.resuming.get(ws) ?? [];
    core.resuming.delete(ws);
    core.sendRun(ws, buf);
    return;
  }
  let last = done.last;
  const buf = core.resuming.get(ws) ?? [];
  core.resuming.delete(ws);
  const live: OutFrame[] = [];
  for (const f of buf) {
    if (f.seq !== null && f.seq <= last) continue;
    live.push(f);
    if (f.seq !== null) last = f.seq;
  }
  if (!core.sendRun(ws, live)) return;
  const resumed: ServerOp =
    done.from !== undefined ? { op: "resumed", seq: last, from_seq: done.from } : { op: "resumed", seq: last };
  safeSend(ws, JSON.stringify(resumed));
}
