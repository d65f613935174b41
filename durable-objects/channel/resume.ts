// Replaying history into one socket without losing or reordering live traffic: live frames for the
// socket are buffered while the replay runs, then released (skipping what the replay already sent),
// then `resumed {seq}` says the client is caught up. The recent window (recent.ts) answers without a
// query when it holds everything after the cursor; older history comes from Postgres in chunks first.
import type { ServerOp } from "../../protocol";
import { framesAfter } from "./replay";
import type { RoomCore } from "./room-core";
import { safeSend } from "./sockets";

export function replayInto(core: RoomCore, ws: WebSocket, afterSeq: number): void {
  if (core.resuming.has(ws)) return; // one replay at a time per socket
  core.resuming.set(ws, []);
  core.ctx.waitUntil(run(core, ws, afterSeq));
}

async function run(core: RoomCore, ws: WebSocket, afterSeq: number): Promise<void> {
  let last = afterSeq;
  try {
    for (;;) {
      const recent = core.recent.after(last);
      if (recent) {
        for (const f of recent) if (!safeSend(ws, f.data)) return;
        last = recent.at(-1)?.seq ?? last;
        break;
      }
      const chunk = await framesAfter(core.db(), core.channelId, last);
      for (const f of chunk.frames) if (!safeSend(ws, f.data)) return;
      last = chunk.lastSeq;
      if (!chunk.more) break;
    }
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
    for (const f of buf) safeSend(ws, f.data);
    return;
  }
  const buf = core.resuming.get(ws) ?? [];
  core.resuming.delete(ws);
  for (const f of buf) {
    if (f.seq !== null && f.seq <= last) continue;
    if (!safeSend(ws, f.data)) return;
    if (f.seq !== null) last = f.seq;
  }
  safeSend(ws, JSON.stringify({ op: "resumed", seq: last } satisfies ServerOp));
}
