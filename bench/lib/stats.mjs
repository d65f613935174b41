// The suite's statistics (issue 25): every headline is the median of ≥ 3 measured runs with its
// [min–max] range, and a goal reads "met" only when the median meets it.

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The headline field of each part: [field, higher is better, label]. */
const HEAD = {
  a: ["deliveriesPerSec", true, "deliveries/s"],
  b: ["ackedPerSec", true, "acked msg/s"],
  b2: ["ackedPerSec", true, "acked msg/s"],
  b3: ["ackedPerSec", true, "acked msg/s"],
  c: ["p99", false, "fan-out p99 ms"],
  d: ["connectTotal", false, "connect total ms"],
  mem: ["rssPer1000", false, "MB per 1,000"],
  e: ["connectTotal", false, "reconnect total ms"],
  f: ["p99", false, "p99 ms"],
  floor: ["reqPerSec", true, "req/s"],
  g1: ["p99", false, "p99 ms"],
  g2: ["p99", false, "p99 ms"],
  relay: ["p99", false, "fan-out p99 ms"],
  // issue 21's MCP long-poll part (branch h21)
  m: ["p99", false, "delivery p99 ms"],
};

/** The headline metric of each part: (row) → [value, higher is better, label]. */
export const HEADLINE = Object.fromEntries(
  Object.entries(HEAD).map(([part, [key, hi, label]]) => [part, (r) => [r[key], hi, label]]),
);

/** Issue 25's goals, checked against the median only. */
export const GOALS = {
  a: { text: "≥ 45,000 deliveries/s", ok: (r) => r.deliveriesPerSec >= 45_000 },
  b: { text: "≥ 5,000 acked msg/s", ok: (r) => r.ackedPerSec >= 5_000 },
  c: { text: "fan-out p99 ≤ 100 ms", ok: (r) => r.p99 <= 100 },
  d: { text: "1,000 connects ≤ 2,000 ms, single p99 ≤ 10 ms", ok: (r) => r.connectTotal <= 2_000 && r.singleP99 <= 10 },
  mem: { text: "≤ 100 MB per 1,000 idle sockets", ok: (r) => r.rssPer1000 <= 100 },
  f: { text: "history page of 50 p99 ≤ 10 ms", ok: (r) => r.p99 <= 10 },
  relay: { text: "0 lost / reordered / dup through relays", ok: (r) => r.lost + r.reordered + r.dupes === 0 },
};

const SUMMED = new Set(["lost", "reordered", "dupes"]);

/**
 * `runs`: one array of rows per measured run. Rows are matched by target + part + scenario; every
 * numeric field becomes the median of the runs (lost / reordered / dupes are summed: one loss in any run
 * is a loss), `range[field]` keeps [min, max], errors are summed, `runs` counts the runs.
 */
export function aggregate(runs) {
  const groups = new Map();
  for (const rows of runs)
    for (const r of rows) {
      const k = `${r.target}\u0000${r.part}\u0000${r.what}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
  const out = [];
  for (const rs of groups.values()) {
    const first = rs[0];
    const row = { ...first, runs: rs.length, range: {} };
    for (const [key, v] of Object.entries(first)) {
      if (typeof v !== "number") continue;
      const xs = rs.map((r) => r[key]);
      if (SUMMED.has(key)) {
        row[key] = xs.reduce((n, x) => n + (Number.isFinite(x) ? x : 0), 0);
        continue;
      }
      row[key] = median(xs);
      const fin = xs.filter(Number.isFinite);
      if (fin.length) row.range[key] = [Math.min(...fin), Math.max(...fin)];
    }
    const errors = {};
    for (const r of rs)
      for (const [e, n] of Object.entries(r.errors ?? {})) errors[e] = typeof n === "number" ? (errors[e] ?? 0) + n : n;
    row.errors = errors;
    if (rs.some((r) => r.what === "failed")) row.what = "failed";
    out.push(row);
  }
  return out;
}

const fmt = (x) =>
  Number.isFinite(x) ? (Math.abs(x) >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1)) : "-";

/** "28,600 [20,400–36,700] (3) deliveries/s" */
export function headlineCell(r) {
  const h = HEAD[r.part];
  if (!h) return "";
  const [key, , label] = h;
  const v = r[key];
  const range = r.range?.[key] ? ` [${fmt(r.range[key][0])}–${fmt(r.range[key][1])}]` : "";
  return `${fmt(v)}${range} (${r.runs ?? 1}) ${label}`;
}

export function goalVerdict(r) {
  const g = GOALS[r.part];
  if (!g) return "";
  return `${g.ok(r) ? "met" : "missed"} (median; goal ${g.text})`;
}
