// Per-minute platform metrics (issue 24; design in docs/OPERATIONS.md). ONE recording interface for the
// Worker, the Durable Objects and the queue consumer: `metricsFor(env, waitUntil).count(...)/.observe(...)`.
// Every isolate aggregates what it records into per-minute rows — (minute, metric, dim1, dim2, bucket) →
// (n, total) — and flushes them every FLUSH_MS to the sink the environment names (METRICS_SINK):
//   - "analytics_engine" (production): one Workers Analytics Engine data point per row (binding METRICS);
//   - "postgres" (npm run dev, the e2e stack): an upsert into metrics_minute, as the system actor;
//   - anything else or a missing binding: nothing (the unit-test default).
// Reading them back is the only part that differs by environment: worker/services/metrics-query.ts has one
// adapter per sink, both returning these same rows, and everything above (the admin API, the dashboard)
// is identical.
//
// Cardinality is bounded by construction: names are the closed list METRIC_NAMES, dimensions are short
// strings from closed vocabularies (route patterns, status classes, close codes, reason codes) or ids of
// the busiest channels, and each isolate keeps at most MAX_KEYS_PER_METRIC distinct dimension pairs per
// metric per minute: the rest are counted under dim1 = "_other".
import { sql } from "drizzle-orm";
import { SYSTEM } from "./db/actor";
import { createDatabase, withActor } from "./db/client";
import type { Bindings } from "./env";

export const METRIC_NAMES = [
  /** dim1: channel id, dim2: "" — a message committed by a channel object */
  "message.accepted",
  /** dim1: refusal code (rate_limited, loop_detected, agent_paused, banned, …) */
  "message.refused",
  /** dim1: channel id — socket deliveries (fan-out) of committed messages */
  "message.delivered",
  /** histogram (ms): receive → ack of a post in the channel object */
  "message.ack_ms",
  /** dim1: socket kind (channel, hub) */
  "socket.connect",
  /** dim1: socket kind, dim2: close code */
  "socket.disconnect",
  /** dim1: queued, suppressed, no_webhook, blocked, enqueue_failed, delivered, failed, retry, dead */
  "wake",
  /** histogram (ms): one webhook POST, dim1: outcome kind */
  "webhook.latency_ms",
  /** histogram (ms): one REST request, dim1: route pattern, dim2: status class (2xx, 4xx, 5xx) */
  "rest.request",
  /** dim1: error code (db_unavailable, internal_error), dim2: status */
  "rest.error",
  /** dim1: channel id */
  "loop_breaker.trip",
  /** dim1: rule name (common/limits.ts RATE key) */
  "rate_limit.refused",
  /** dim1: admin action */
  "admin.action",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Upper bounds (ms) of the histogram buckets; bucket i holds values ≤ bound i, the last one everything above. */
export const HISTOGRAM_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
export const COUNTER_BUCKET = -1;
export const FLUSH_MS = 2_000;
export const MAX_KEYS_PER_METRIC = 100;
const MAX_DIM = 64;

/** One aggregated row: the unit both sinks store and both query adapters return. */
export interface MetricRow {
  /** start of the minute, Unix ms */
  minute: number;
  name: MetricName;
  dim1: string;
  dim2: string;
  /** COUNTER_BUCKET, or the histogram bucket index */
  bucket: number;
  /** events */
  n: number;
  /** sum of the observed values (ms for histograms, n for counters) */
  total: number;
}

export interface Metrics {
  count(name: MetricName, dim1?: string, dim2?: string, n?: number): void;
  /** a duration in ms, into the metric's histogram */
  observe(name: MetricName, ms: number, dim1?: string, dim2?: string): void;
}

export function bucketOf(ms: number): number {
  for (let i = 0; i < HISTOGRAM_BOUNDS_MS.length; i++) if (ms <= (HISTOGRAM_BOUNDS_MS[i] as number)) return i;
  return HISTOGRAM_BOUNDS_MS.length;
}

export const minuteOf = (ms: number): number => Math.floor(ms / 60_000) * 60_000;

const clip = (s: string | undefined): string => (s ?? "").slice(0, MAX_DIM);

/** Per-minute aggregation with the per-metric key cap (pure; exported for tests). */
export class MetricAggregator {
  #rows = new Map<string, MetricRow>();
  #keys = new Map<string, Set<string>>();

  add(now: number, name: MetricName, dim1: string, dim2: string, bucket: number, value: number, n = 1): void {
    const minute = minuteOf(now);
    const capKey = `${minute}|${name}`;
    let keys = this.#keys.get(capKey);
    if (!keys) {
      keys = new Set();
      this.#keys.set(capKey, keys);
    }
    const pair = `${dim1}|${dim2}`;
    if (!keys.has(pair)) {
      if (keys.size >= MAX_KEYS_PER_METRIC) {
        dim1 = "_other";
        dim2 = "";
      } else keys.add(pair);
    }
    const key = `${minute}|${name}|${dim1}|${dim2}|${bucket}`;
    const row = this.#rows.get(key);
    if (row) {
      row.n += n;
      row.total += value;
    } else this.#rows.set(key, { minute, name, dim1, dim2, bucket, n, total: value });
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Everything aggregated so far; the aggregator starts over (the key caps of the current minute stay). */
  drain(now: number = Date.now()): MetricRow[] {
    const out = [...this.#rows.values()];
    this.#rows.clear();
    const current = minuteOf(now);
    for (const k of this.#keys.keys()) if (Number(k.split("|")[0]) < current) this.#keys.delete(k);
    return out;
  }
}

export type MetricsEnv = Partial<Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">> & {
  METRICS_SINK?: string;
  METRICS?: AnalyticsEngineDataset;
};

export type SinkKind = "analytics_engine" | "postgres" | "off";

export function sinkKind(env: MetricsEnv): SinkKind {
  if (env.METRICS_SINK === "postgres" && env.DATABASE_URL) return "postgres";
  if (env.METRICS_SINK === "analytics_engine" && env.METRICS) return "analytics_engine";
  return "off";
}

/** Analytics Engine: blobs = [name, dim1, dim2], doubles = [minute, bucket, n, total], index = name. */
export function writeAnalyticsEngine(dataset: AnalyticsEngineDataset, rows: MetricRow[]): void {
  for (const r of rows) {
    dataset.writeDataPoint({
      indexes: [r.name],
      blobs: [r.name, r.dim1, r.dim2],
      doubles: [r.minute, r.bucket, r.n, r.total],
    });
  }
}

/** Postgres (local): add the rows to metrics_minute in one statement. */
export async function writePostgres(env: MetricsEnv, rows: MetricRow[]): Promise<void> {
  if (rows.length === 0 || !env.DATABASE_URL) return;
  const db = createDatabase({ DATABASE_URL: env.DATABASE_URL, NEON_WS_PROXY: env.NEON_WS_PROXY });
  try {
    await withActor(db, SYSTEM, (tx) =>
      tx.execute(sql`insert into metrics_minute (minute, name, dim1, dim2, bucket, n, total)
        select to_timestamp((r->>'minute')::double precision / 1000), r->>'name', r->>'dim1', r->>'dim2',
               (r->>'bucket')::smallint, (r->>'n')::bigint, (r->>'total')::double precision
          from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) r
        on conflict (minute, name, dim1, dim2, bucket)
        do update set n = metrics_minute.n + excluded.n, total = metrics_minute.total + excluded.total`),
    );
  } finally {
    await db.close();
  }
}

// one aggregator per isolate (the Worker's requests and the objects of the isolate share it)
const aggregator = new MetricAggregator();
let pendingSince = 0;

async function flush(env: MetricsEnv, kind: SinkKind): Promise<void> {
  const rows = aggregator.drain();
  pendingSince = 0;
  if (rows.length === 0) return;
  try {
    if (kind === "analytics_engine" && env.METRICS) writeAnalyticsEngine(env.METRICS, rows);
    else if (kind === "postgres") await writePostgres(env, rows);
  } catch (e) {
    // metrics never fail the work they describe
    console.warn(JSON.stringify({ level: "warn", msg: "metrics flush failed", rows: rows.length, error: String(e) }));
  }
}

/** Flush now (tests, and the end of a scheduled run). */
export async function flushMetrics(env: MetricsEnv): Promise<void> {
  await flush(env, sinkKind(env));
}

const NOOP: Metrics = { count() {}, observe() {} };

/**
 * The recorder for one piece of work. `waitUntil` keeps the isolate alive until the next flush (a request's
 * executionCtx.waitUntil, an object's ctx.waitUntil); without it the flush still runs if the isolate lives.
 */
export function metricsFor(env: MetricsEnv, waitUntil?: (p: Promise<unknown>) => void): Metrics {
  const kind = sinkKind(env);
  if (kind === "off") return NOOP;
  const schedule = () => {
    const now = Date.now();
    // a flush whose isolate context went away never ran: schedule another after a grace period
    if (pendingSince !== 0 && now - pendingSince < FLUSH_MS * 5) return;
    pendingSince = now;
    const p = new Promise((r) => setTimeout(r, FLUSH_MS)).then(() => flush(env, kind));
    try {
      waitUntil?.(p);
    } catch {
      // no execution context (unit tests): the timer alone
    }
  };
  return {
    count(name, dim1, dim2, n = 1) {
      aggregator.add(Date.now(), name, clip(dim1), clip(dim2), COUNTER_BUCKET, n, n);
      schedule();
    },
    observe(name, ms, dim1, dim2) {
      const v = Number.isFinite(ms) && ms >= 0 ? ms : 0;
      aggregator.add(Date.now(), name, clip(dim1), clip(dim2), bucketOf(v), v);
      schedule();
    },
  };
}
