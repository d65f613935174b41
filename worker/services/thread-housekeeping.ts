// Auto-archive (issue 18): threads idle for longer than their auto_archive_minutes become archived. The
// rule itself is exact without this job (app.thread_archived and the channel object's gate read the idle
// time), so nobody can post in an idle thread even before it runs; the cron job (every 15 minutes, with
// the other housekeeping) writes archived_at, so lists and counts see it, and tells the parent channel
// and the thread's own sockets (`thread_updated {archived: true}`). At most LIMITS.threadArchiveBatch
// threads per run, oldest activity first (threads_open_idx).
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { LIMITS } from "../../common/limits";
import { channelChanged } from "./channel-sync";
import { publish } from "./messages";

export async function archiveIdleThreads(
  env: Pick<Bindings, "CHANNEL">,
  db: Database,
  limit: number = LIMITS.threadArchiveBatch,
): Promise<{ archived: number }> {
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx.execute<{ channel_id: string; parent_id: string }>(sql`
      update threads set archived_at = now()
      where channel_id in (
        select channel_id from threads
        where archived_at is null and activity_at + make_interval(mins => auto_archive_minutes) < now()
        order by activity_at limit ${limit})
      returning channel_id, parent_id`),
  );
  await Promise.all(
    rows.rows.map(async (r) => {
      await channelChanged(env, r.channel_id);
      const change = { thread_id: r.channel_id, archived: true };
      await publish(env, { op: "thread_updated", channel: r.parent_id, ...change });
      await publish(env, { op: "thread_updated", channel: r.channel_id, ...change });
    }),
  );
  return { archived: rows.rows.length };
}
