// Gap-free resume: every message after a seq, in order, straight from Postgres (the source of truth).
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { MESSAGE_COLUMNS, type MessageRow, toMessageView } from "../../common/messages-view";
import type { ServerOp } from "../../protocol";
import { PROTOCOL_LIMITS } from "../../protocol";

/** One chunk of frames after `afterSeq` (deleted messages replay as message_delete, keeping seq continuity). */
export async function framesAfter(
  db: Database,
  channelId: string,
  afterSeq: number,
  limit: number = PROTOCOL_LIMITS.resumeChunk,
): Promise<{ frames: { seq: number; data: string }[]; lastSeq: number; more: boolean }> {
  const res = await withActor(db, SYSTEM, (tx) =>
    tx.execute<MessageRow>(
      sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
          where m.channel_id = ${channelId} and m.seq > ${afterSeq} order by m.seq limit ${limit}`,
    ),
  );
  let lastSeq = afterSeq;
  const frames = res.rows.map((r) => {
    const seq = Number(r.seq);
    lastSeq = seq;
    const frame: ServerOp = r.deleted_at
      ? { op: "message_delete", channel: r.channel_id, id: r.id, seq }
      : { op: "message", ...toMessageView(r) };
    return { seq, data: JSON.stringify(frame) };
  });
  return { frames, lastSeq, more: res.rows.length === limit };
}

/**
 * The newest `limit` frames after `afterSeq`, oldest first (issue 15: a viewer's replay is cut to the
 * newest messages). `cut` is true when older messages after the cursor were left out.
 */
export async function framesLatest(
  db: Database,
  channelId: string,
  afterSeq: number,
  limit: number,
): Promise<{ frames: { seq: number; data: string }[]; cut: boolean }> {
  const res = await withActor(db, SYSTEM, (tx) =>
    tx.execute<MessageRow>(
      sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
          where m.channel_id = ${channelId} and m.seq > ${afterSeq} order by m.seq desc limit ${limit}`,
    ),
  );
  const frames = res.rows.reverse().map((r) => {
    const seq = Number(r.seq);
    const frame: ServerOp = r.deleted_at
      ? { op: "message_delete", channel: r.channel_id, id: r.id, seq }
      : { op: "message", ...toMessageView(r) };
    return { seq, data: JSON.stringify(frame) };
  });
  const first = frames[0]?.seq;
  return { frames, cut: first !== undefined && first > afterSeq + 1 };
}
