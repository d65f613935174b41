// The channel object answering a relay's replay (issue 25): a resume on a relay socket, or a relay filling
// a gap after a dropped batch. The same sources, in the same order, as a channel socket's replay
// (durable-objects/channel/resume.ts): the recent frames in memory, else Postgres; capped for viewers.
import { framesAfter, framesLatest } from "../channel/replay";
import type { RoomCore } from "../channel/room-core";
import type { RelayReplay } from "./wire";

/** At most this many frames per uncapped answer (a gap fill); the relay asks again from `last`. */
export const RELAY_REPLAY_MAX = 2_000;

export async function relayReplay(core: RoomCore, afterSeq: number, cap: number | null): Promise<RelayReplay> {
  if (cap !== null) {
    let frames = core.recent.after(afterSeq);
    let cut = false;
    if (frames) {
      cut = frames.length > cap;
      if (cut) frames = frames.slice(-cap);
    } else {
      ({ frames, cut } = await framesLatest(core.db(), core.channelId, afterSeq, cap));
    }
    const from = cut ? frames[0]?.seq : undefined;
    return { frames, last: frames.at(-1)?.seq ?? afterSeq, ...(from !== undefined ? { from } : {}) };
  }
  const out: { seq: number; data: string }[] = [];
  let last = afterSeq;
  while (out.length < RELAY_REPLAY_MAX) {
    const recent = core.recent.after(last);
    if (recent) {
      out.push(...recent.slice(0, RELAY_REPLAY_MAX - out.length));
      break;
    }
    const chunk = await framesAfter(core.db(), core.channelId, last);
    out.push(...chunk.frames);
    last = chunk.lastSeq;
    if (!chunk.more) break;
  }
  return { frames: out, last: out.at(-1)?.seq ?? afterSeq };
}
