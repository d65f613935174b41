// The recording side of the per-minute metrics (issue 24): aggregation, the cardinality cap, histogram
// buckets; and the summary the dashboard draws from the rows (worker/services/metrics-query.ts).
import { describe, expect, it } from "vitest";
import { summarize } from "../worker/services/metrics-query";
import { bucketOf, HISTOGRAM_BOUNDS_MS, MAX_KEYS_PER_METRIC, MetricAggregator, minuteOf } from "./metrics";

describe("metric aggregation", () => {
  it("adds events of one minute and key into one row; a new minute is a new row", () => {
    const a = new MetricAggregator();
    const t = Date.UTC(2026, 0, 1, 12, 0, 10);
    a.add(t, "message.accepted", "c1", "a1", -1, 1);
    a.add(t + 1000, "message.accepted", "c1", "a1", -1, 1);
    a.add(t + 60_000, "message.accepted", "c1", "a1", -1, 1);
    const rows = a.drain(t + 60_000);
    expect(rows).toEqual([
      { minute: minuteOf(t), name: "message.accepted", dim1: "c1", dim2: "a1", bucket: -1, n: 2, total: 2 },
      { minute: minuteOf(t) + 60_000, name: "message.accepted", dim1: "c1", dim2: "a1", bucket: -1, n: 1, total: 1 },
    ]);
    expect(a.drain()).toEqual([]);
  });

  it("bounds cardinality: beyond the cap per metric and minute, new dimension pairs count as _other", () => {
    const a = new MetricAggregator();
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    for (let i = 0; i < MAX_KEYS_PER_METRIC + 50; i++) a.add(t, "message.accepted", `c${i}`, "", -1, 1);
    // a key seen before the cap keeps counting under its own name
    a.add(t, "message.accepted", "c0", "", -1, 1);
    const rows = a.drain(t);
    expect(rows).toHaveLength(MAX_KEYS_PER_METRIC + 1);
    expect(rows.find((r) => r.dim1 === "_other")?.n).toBe(50);
    expect(rows.find((r) => r.dim1 === "c0")?.n).toBe(2);
  });

  it("puts durations into the bucket whose upper bound holds them", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1.5)).toBe(1);
    expect(bucketOf(99)).toBe(HISTOGRAM_BOUNDS_MS.indexOf(100));
    expect(bucketOf(1e9)).toBe(HISTOGRAM_BOUNDS_MS.length);
  });
});

describe("the dashboard summary", () => {
  it("computes p50/p99 per minute from the buckets, throughput by channel, top talkers and the error taxonomy", () => {
    const now = Date.UTC(2026, 0, 1, 12, 4, 30);
    const m = minuteOf(now);
    const summary = summarize(
      [
        { minute: m, name: "message.accepted", dim1: "ch1", dim2: "bot1", bucket: -1, n: 90, total: 90 },
        { minute: m, name: "message.accepted", dim1: "ch2", dim2: "bot2", bucket: -1, n: 10, total: 10 },
        { minute: m, name: "message.ack_ms", dim1: "", dim2: "", bucket: bucketOf(8), n: 98, total: 700 },
        { minute: m, name: "message.ack_ms", dim1: "", dim2: "", bucket: bucketOf(400), n: 2, total: 800 },
        { minute: m, name: "message.refused", dim1: "rate_limited", dim2: "", bucket: -1, n: 7, total: 7 },
        { minute: m, name: "rest.request", dim1: "/api/v1/x", dim2: "5xx", bucket: bucketOf(20), n: 3, total: 60 },
        { minute: m - 60_000, name: "socket.disconnect", dim1: "channel", dim2: "4001", bucket: -1, n: 2, total: 2 },
        { minute: m, name: "rate_limit.refused", dim1: "api", dim2: "", bucket: -1, n: 4, total: 4 },
        // outside the window: ignored in the series
        { minute: m - 3_600_000, name: "message.accepted", dim1: "old", dim2: "", bucket: -1, n: 5, total: 5 },
      ],
      5,
      now,
    );
    expect(summary.series).toHaveLength(5);
    const last = summary.series[4];
    expect(last).toMatchObject({ accepted: 100, refused: 7, rest_5xx: 3, ack_p50: 10, ack_p99: 500 });
    expect(summary.series[3]?.disconnects).toBe(2);
    expect(summary.channels[0]).toEqual({ channel_id: "ch1", messages: 90 });
    expect(summary.talkers[0]).toEqual({ agent_id: "bot1", messages: 90 });
    expect(summary.errors).toContainEqual({ kind: "message", code: "rate_limited", count: 7 });
    expect(summary.close_codes).toEqual([{ code: "4001", count: 2 }]);
    expect(summary.rate_limits).toEqual([{ rule: "api", count: 4 }]);
  });
});
