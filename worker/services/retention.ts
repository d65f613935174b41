// Data retention (issue 24; docs/DEPLOY.md "Retention"): the daily cron deletes rows older than the
// configured number of days — messages, audit rows, webhook deliveries, local metrics — through
// app.purge_retention (migrations/0011_operators.sql), a SECURITY DEFINER function only the system actor may
// call (the app role may not delete audit rows at all). At most `batch` rows per table per run, so a backlog
// drains over several runs without one long transaction. 0 days = keep forever.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";

/** The retention purge's cron expression (wrangler.toml [triggers] must list it). */
export const RETENTION_CRON = "17 3 * * *";

export interface RetentionSettings {
  messageDays: number;
  auditDays: number;
  deliveryDays: number;
  metricsDays: number;
}

export interface PurgeResult {
  messages: number;
  audit_log: number;
  webhook_deliveries: number;
  metrics_minute: number;
}

const days = (v: string | undefined, fallback: number): number => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isInteger(n) && n >= 0 && n <= 36_500 ? n : fallback;
};

/** The settings from the Worker's vars (wrangler.toml [vars]); a malformed value falls back to the default. */
export function retentionFrom(env: {
  RETENTION_MESSAGE_DAYS?: string;
  RETENTION_AUDIT_DAYS?: string;
  RETENTION_WEBHOOK_DELIVERY_DAYS?: string;
  RETENTION_METRICS_DAYS?: string;
}): RetentionSettings {
  return {
    messageDays: days(env.RETENTION_MESSAGE_DAYS, 0),
    auditDays: days(env.RETENTION_AUDIT_DAYS, 400),
    deliveryDays: days(env.RETENTION_WEBHOOK_DELIVERY_DAYS, 30),
    metricsDays: days(env.RETENTION_METRICS_DAYS, 14),
  };
}

export async function purgeExpired(db: Database, s: RetentionSettings, batch = 10_000): Promise<PurgeResult> {
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute<{ out: PurgeResult }>(
      sql`select app.purge_retention(${s.messageDays}::int, ${s.auditDays}::int, ${s.deliveryDays}::int,
                                     ${s.metricsDays}::int, ${batch}::int) as out`,
    );
    const out = r.rows[0]?.out;
    return out ?? { messages: 0, audit_log: 0, webhook_deliveries: 0, metrics_minute: 0 };
  });
}
