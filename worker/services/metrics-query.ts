// Reading the per-minute metrics back (issue 24; docs/OPERATIONS.md). One query adapter per sink, both
// returning common/metrics.ts MetricRow[]; everything after that — the summary the admin API serves and the
// dashboard draws — is one code path whatever the environment.
//   - postgres: metrics_minute, read as the system actor;
//   - analytics_engine: the Analytics Engine SQL API (secrets CF_ACCOUNT_ID + CF_ANALYTICS_TOKEN, a token
//     with "Account Analytics: Read"), summing the rows the isolates wrote (weighted by _sample_interval,
//     so AE's sampling does not bias the counts).
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import {
  COUNTER_BUCKET,
  HISTOGRAM_BOUNDS_MS,
  METRIC_NAMES,
  type MetricName,
  type MetricRow,
  minuteOf,
  sinkKind,
} from "../../common/metrics";

export type MetricsQueryEnv = Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY"> & {
  METRICS_SINK?: string;
  METRICS?: AnalyticsEngineDataset;
  CF_ACCOUNT_ID?: string;
  CF_ANALYTICS_TOKEN?: string;
};

const isName = (s: string): s is MetricName => (METRIC_NAMES as readonly string[]).includes(s);

export async function postgresRows(db: Database, sinceMs: number): Promise<MetricRow[]> {
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute<{
      minute: string;
      name: string;
      dim1: string;
      dim2: string;
      bucket: number;
      n: string;
      total: number;
    }>(sql`select (extract(epoch from minute) * 1000)::bigint::text as minute, name, dim1, dim2, bucket, n::text as n, total
             from metrics_minute where minute >= to_timestamp(${sinceMs / 1000}) order by minute`);
    return r.rows
      .filter((x) => isName(x.name))
      .map((x) => ({
        minute: Number(x.minute),
        name: x.name as MetricName,
        dim1: x.dim1,
        dim2: x.dim2,
        bucket: Number(x.bucket),
        n: Number(x.n),
        total: Number(x.total),
      }));
  });
}

export async function analyticsEngineRows(
  env: MetricsQueryEnv,
  sinceMs: number,
  fetcher: typeof fetch = fetch,
): Promise<MetricRow[]> {
  if (!env.CF_ACCOUNT_ID || !env.CF_ANALYTICS_TOKEN) {
    throw new ApiError(503, "internal_error", "metrics are not readable: set CF_ACCOUNT_ID and CF_ANALYTICS_TOKEN");
  }
  const minutes = Math.max(1, Math.ceil((Date.now() - sinceMs) / 60_000));
  const query = `SELECT double1 AS minute, blob1 AS name, blob2 AS dim1, blob3 AS dim2, double2 AS bucket,
    SUM(_sample_interval * double3) AS n, SUM(_sample_interval * double4) AS total
    FROM moltstack_metrics WHERE timestamp > NOW() - INTERVAL '${minutes + 1}' MINUTE
    GROUP BY minute, name, dim1, dim2, bucket ORDER BY minute FORMAT JSON`;
  const res = await fetcher(`https://api.cloudflare.com/client/v4/accounts/${env.CF_ACCOUNT_ID}/analytics_engine/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.CF_ANALYTICS_TOKEN}` },
    body: query,
  });
  if (!res.ok) throw new ApiError(503, "internal_error", `Analytics Engine answered ${res.status}`);
  const body = (await res.json()) as { data?: Record<string, unknown>[] };
  return (body.data ?? [])
    .filter((x) => typeof x.name === "string" && isName(x.name) && Number(x.minute) >= sinceMs)
    .map((x) => ({
      minute: Number(x.minute),
      name: x.name as MetricName,
      dim1: String(x.dim1 ?? ""),
      dim2: String(x.dim2 ?? ""),
      bucket: Number(x.bucket),
      n: Number(x.n),
      total: Number(x.total),
    }));
}

/**
 * The rows of the last `minutes`, from wherever this environment writes them; `note` says why there are
 * none when the environment cannot answer (no sink, or Analytics Engine without read credentials).
 */
export async function metricRows(
  env: MetricsQueryEnv,
  db: Database,
  minutes: number,
): Promise<{ rows: MetricRow[]; note: string | null }> {
  const since = minuteOf(Date.now()) - (minutes - 1) * 60_000;
  const kind = sinkKind(env);
  if (kind === "postgres") return { rows: await postgresRows(db, since), note: null };
  if (kind === "analytics_engine") {
    if (!env.CF_ACCOUNT_ID || !env.CF_ANALYTICS_TOKEN) {
      return {
        rows: [],
        note: "metrics go to Analytics Engine; set CF_ACCOUNT_ID and CF_ANALYTICS_TOKEN to read them",
      };
    }
    return { rows: await analyticsEngineRows(env, since), note: null };
  }
  return { rows: [], note: "no metrics sink configured (METRICS_SINK)" };
}

// ---------------------------------------------------------------- the summary (environment-independent)

/** Percentile of a bucketed histogram: the upper bound of the bucket where the cumulative count crosses p. */
export function percentile(buckets: Map<number, number>, p: number): number | null {
  let total = 0;
  for (const n of buckets.values()) total += n;
  if (total === 0) return null;
  const target = p * total;
  let seen = 0;
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    seen += buckets.get(b) ?? 0;
    if (seen >= target)
      return b < HISTOGRAM_BOUNDS_MS.length ? (HISTOGRAM_BOUNDS_MS[b] as number) : Number.POSITIVE_INFINITY;
  }
  return null;
}

export interface MinutePoint {
  minute: string;
  accepted: number;
  refused: number;
  delivered: number;
  rest_2xx: number;
  rest_4xx: number;
  rest_5xx: number;
  ack_p50: number | null;
  ack_p99: number | null;
  webhook_p50: number | null;
  webhook_p99: number | null;
  rest_p50: number | null;
  rest_p99: number | null;
  connects: number;
  disconnects: number;
}

export interface MetricsSummary {
  sink: string;
  minutes: number;
  series: MinutePoint[];
  totals: Record<string, number>;
  /** refusal reasons, REST error codes, wake outcomes: name → count */
  errors: { kind: string; code: string; count: number }[];
  channels: { channel_id: string; messages: number }[];
  talkers: { agent_id: string; messages: number }[];
  close_codes: { code: string; count: number }[];
  rate_limits: { rule: string; count: number }[];
  loop_trips: { channel_id: string; count: number }[];
  routes: { route: string; status: string; count: number }[];
}

const top = <K extends string>(m: Map<string, number>, key: K, val: string, n = 10) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => ({ [key]: k, [val]: v }));

const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/** Pure: rows → what the dashboard shows. */
export function summarize(rows: MetricRow[], minutes: number, now: number = Date.now(), sink = ""): MetricsSummary {
  const first = minuteOf(now) - (minutes - 1) * 60_000;
  const points = new Map<
    number,
    MinutePoint & { _ack: Map<string, number>; _wh: Map<string, number>; _rest: Map<string, number> }
  >();
  for (let m = first; m <= minuteOf(now); m += 60_000) {
    points.set(m, {
      minute: new Date(m).toISOString(),
      accepted: 0,
      refused: 0,
      delivered: 0,
      rest_2xx: 0,
      rest_4xx: 0,
      rest_5xx: 0,
      ack_p50: null,
      ack_p99: null,
      webhook_p50: null,
      webhook_p99: null,
      rest_p50: null,
      rest_p99: null,
      connects: 0,
      disconnects: 0,
      _ack: new Map(),
      _wh: new Map(),
      _rest: new Map(),
    });
  }
  const totals: Record<string, number> = {};
  const errors = new Map<string, number>();
  const chans = new Map<string, number>();
  const talkers = new Map<string, number>();
  const codes = new Map<string, number>();
  const rules = new Map<string, number>();
  const loops = new Map<string, number>();
  const routes = new Map<string, number>();
  for (const r of rows) {
    totals[r.name] = (totals[r.name] ?? 0) + r.n;
    const p = points.get(r.minute);
    switch (r.name) {
      case "message.accepted":
        if (p) p.accepted += r.n;
        add(chans, r.dim1, r.n);
        if (r.dim2) add(talkers, r.dim2, r.n);
        break;
      case "message.refused":
        if (p) p.refused += r.n;
        add(errors, `message|${r.dim1}`, r.n);
        break;
      case "message.delivered":
        if (p) p.delivered += r.n;
        break;
      case "message.ack_ms":
        if (p && r.bucket !== COUNTER_BUCKET) add(p._ack, String(r.bucket), r.n);
        break;
      case "webhook.latency_ms":
        if (p && r.bucket !== COUNTER_BUCKET) add(p._wh, String(r.bucket), r.n);
        break;
      case "rest.request":
        if (p) {
          if (r.dim2 === "2xx") p.rest_2xx += r.n;
          else if (r.dim2 === "4xx") p.rest_4xx += r.n;
          else if (r.dim2 === "5xx") p.rest_5xx += r.n;
          if (r.bucket !== COUNTER_BUCKET) add(p._rest, String(r.bucket), r.n);
        }
        add(routes, `${r.dim1}|${r.dim2}`, r.n);
        break;
      case "rest.error":
        add(errors, `rest|${r.dim1}`, r.n);
        break;
      case "wake":
        if (["suppressed", "enqueue_failed", "failed", "dead", "retry"].includes(r.dim1))
          add(errors, `wake|${r.dim1}`, r.n);
        break;
      case "socket.connect":
        if (p) p.connects += r.n;
        break;
      case "socket.disconnect":
        if (p) p.disconnects += r.n;
        add(codes, r.dim2 || "none", r.n);
        break;
      case "loop_breaker.trip":
        add(loops, r.dim1, r.n);
        add(errors, "message|loop_breaker_trip", r.n);
        break;
      case "rate_limit.refused":
        add(rules, r.dim1, r.n);
        break;
      default:
        break;
    }
  }
  const series: MinutePoint[] = [];
  for (const p of points.values()) {
    const toNum = (m: Map<string, number>) => new Map([...m.entries()].map(([k, v]) => [Number(k), v]));
    const ack = toNum(p._ack);
    const wh = toNum(p._wh);
    const rest = toNum(p._rest);
    const { _ack, _wh, _rest, ...point } = p;
    point.ack_p50 = percentile(ack, 0.5);
    point.ack_p99 = percentile(ack, 0.99);
    point.webhook_p50 = percentile(wh, 0.5);
    point.webhook_p99 = percentile(wh, 0.99);
    point.rest_p50 = percentile(rest, 0.5);
    point.rest_p99 = percentile(rest, 0.99);
    series.push(point);
  }
  // an infinite bucket (above the last bound) is reported as the last bound (JSON has no Infinity)
  const last = HISTOGRAM_BOUNDS_MS[HISTOGRAM_BOUNDS_MS.length - 1] as number;
  for (const s of series) {
    for (const k of ["ack_p50", "ack_p99", "webhook_p50", "webhook_p99", "rest_p50", "rest_p99"] as const) {
      if (s[k] === Number.POSITIVE_INFINITY) s[k] = last;
    }
  }
  return {
    sink,
    minutes,
    series,
    totals,
    errors: [...errors.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, count]) => {
        const [kind = "", code = ""] = k.split("|");
        return { kind, code, count };
      }),
    channels: top(chans, "channel_id", "messages") as { channel_id: string; messages: number }[],
    talkers: top(talkers, "agent_id", "messages") as { agent_id: string; messages: number }[],
    close_codes: top(codes, "code", "count", 20) as { code: string; count: number }[],
    rate_limits: top(rules, "rule", "count", 20) as { rule: string; count: number }[],
    loop_trips: top(loops, "channel_id", "count") as { channel_id: string; count: number }[],
    routes: [...routes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, count]) => {
        const [route = "", status = ""] = k.split("|");
        return { route, status, count };
      }),
  };
}
