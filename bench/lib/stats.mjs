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
  c40: ["p99", false, "fan-out p99 ms"],
  "c-batch": ["p99", false, "fan-out p99 ms"],
  "c40-batch": ["p99", false, "fan-out p99 ms"],
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
  // issue 25's Moltbook doors (bench/lib/moltbook.mjs)
  mb: ["p99", false, "p99 ms"],
};

/** The headline metric of each part: (row) → [value, higher is better, label]. */
export const HEADLINE = Object.fromEntries(
  Object.entries(HEAD).map(([part, [key, hi, label]]) => [part, (r) => [r[key], hi, label]]),
);

/**
 * Figures derived from one run's row, before the runs are aggregated (so the median is the median of
 * the per-run figure, not a quotient of two medians): server CPU µs per delivery (CPU seconds of the
 * whole stack over the send window ÷ messages delivered) and, for a paced part, the share of the offered
 * deliveries/s actually delivered (`keepsUp`: 1 = kept up; 36k of 40k/s = 0.9).
 */
export function derive(r) {
  const out = { ...r };
  if (Number.isFinite(r.serverCpuSec) && r.deliveries > 0) out.cpuUsPerDelivery = (r.serverCpuSec / r.deliveries) * 1e6;
  if (r.offeredPerSec > 0 && Number.isFinite(r.deliveriesPerSec)) out.keepsUp = r.deliveriesPerSec / r.offeredPerSec;
  return out;
}

/** Share of the offered deliveries/s a paced part must deliver to count as keeping up. */
export const KEEPS_UP = 0.95;

/**
 * Issue 25's goals, checked against the median only. Per part, a list of goals, each on one row of the
 * part (`target`, default "moltstack"): `value` reads the figure, `ok` judges it. A figure that was not
 * measured (NaN: no dev stack found for CPU, a window < 1 s) is "n/a", neither met nor missed.
 * Ratios "× … (same run)" compare two rows of the same run (computed per run, then the median).
 */
export const GOALS = {
  a: [{ text: "≥ 45,000 deliveries/s", value: (r) => r.deliveriesPerSec, ok: (v) => v >= 45_000 }],
  b: [
    { text: "≥ 5,000 acked msg/s", value: (r) => r.ackedPerSec, ok: (v) => v >= 5_000 },
    { text: "fan-out p99 ≤ 150 ms", value: (r) => r.p99, ok: (v) => v <= 150 },
  ],
  c: [
    { text: "fan-out p99 ≤ 100 ms", value: (r) => r.p99, ok: (v) => v <= 100 },
    { text: "server CPU ≤ 20 µs per delivery", value: (r) => r.cpuUsPerDelivery, ok: (v) => v <= 20 },
  ],
  c40: [
    {
      text: `keeps up (≥ ${KEEPS_UP * 100} % of the offered deliveries/s)`,
      value: (r) => r.keepsUp,
      ok: (v) => v >= KEEPS_UP,
    },
    { text: "fan-out p99 ≤ 250 ms", value: (r) => r.p99, ok: (v) => v <= 250 },
  ],
  // the same goals for subscribers on batch frames (?frames=batch): the wire the SDK and UI negotiate
  "c-batch": [
    { text: "fan-out p99 ≤ 100 ms", value: (r) => r.p99, ok: (v) => v <= 100 },
    { text: "server CPU ≤ 20 µs per delivery", value: (r) => r.cpuUsPerDelivery, ok: (v) => v <= 20 },
  ],
  "c40-batch": [
    {
      text: `keeps up (≥ ${KEEPS_UP * 100} % of the offered deliveries/s)`,
      value: (r) => r.keepsUp,
      ok: (v) => v >= KEEPS_UP,
    },
    { text: "fan-out p99 ≤ 250 ms", value: (r) => r.p99, ok: (v) => v <= 250 },
  ],
  d: [
    { text: "1,000 connects ≤ 2,000 ms", value: (r) => r.connectTotal, ok: (v) => v <= 2_000 },
    { text: "single connect + auth p99 ≤ 10 ms", value: (r) => r.singleP99, ok: (v) => v <= 10 },
  ],
  // judged on the first 1,000 sockets of the invocation (bench/run.mjs: later runs re-use freed memory)
  mem: [
    {
      text: "≤ 100 MB per 1,000 idle sockets (the first 1,000 of the run)",
      value: (r) => r.rssPer1000First ?? r.rssPer1000,
      ok: (v) => v <= 100,
    },
  ],
  f: [{ text: "history page of 50 p99 ≤ 10 ms", value: (r) => r.p99, ok: (v) => v <= 10 }],
  // issue 17's gateway targets
  g1: [
    {
      target: "moltstack gateway",
      text: "100-channel subscribe ≤ 500 ms cold",
      value: (r) => r.subscribeCold,
      ok: (v) => v <= 500,
    },
    {
      target: "moltstack gateway",
      text: "100-channel subscribe ≤ 500 ms warm",
      value: (r) => r.subscribeWarm,
      ok: (v) => v <= 500,
    },
  ],
  g2: [
    {
      target: "moltstack gateway",
      text: "fan-out p99 ≤ 1.5× channel sockets (same run)",
      value: (r) => r.p99VsChannel,
      ok: (v) => v <= 1.5,
    },
  ],
  m: [
    {
      target: "moltstack MCP",
      text: "delivery p99 ≤ 2× channel sockets (same run)",
      value: (r) => r.p99VsSockets,
      ok: (v) => v <= 2,
    },
  ],
  // issue 25's new doors, at 20 req/s from 50 clients while a channel receives 10 msg/s (part mb); the
  // ratio to the REST history page of the same run is printed beside (vs)
  mb: [
    { target: "moltstack Moltbook /feed", text: "p99 ≤ 50 ms", value: (r) => r.p99, ok: (v) => v <= 50 },
    { target: "moltstack Moltbook /search", text: "p99 ≤ 100 ms", value: (r) => r.p99, ok: (v) => v <= 100 },
    {
      target: "moltstack /api/v1/search messages",
      text: "p99 ≤ 100 ms",
      value: (r) => r.p99,
      ok: (v) => v <= 100,
    },
  ],
  relay: [
    {
      text: "0 lost / reordered / dup through relays",
      value: (r) => r.lost + r.reordered + r.dupes,
      ok: (v) => v === 0,
    },
  ],
};

/** The goals that judge row `r` (by part and target). */
export const goalsOf = (r) => (GOALS[r.part] ?? []).filter((g) => (g.target ?? "moltstack") === r.target);

/** "part: goal; goal" for the footer. */
export const goalsText = () =>
  Object.entries(GOALS)
    .map(
      ([p, gs]) =>
        `${p} ${gs.map((g) => (g.target && g.target !== "moltstack" ? `${g.target.replace(/^moltstack /, "")}: ${g.text}` : g.text)).join(", ")}`,
    )
    .join("; ");

/**
 * Comparisons inside one run, as the table's `vs` cell (no baseline needed): the gateway against channel
 * sockets (g2), MCP against channel sockets (m), a Moltbook door against the REST history page (mb).
 */
export function sameRunVs(r) {
  const x = (v) => `${v.toFixed(2)}×`;
  if (Number.isFinite(r.p99VsChannel)) return `p99: ${x(r.p99VsChannel)} channel sockets (same run)`;
  if (Number.isFinite(r.p99VsSockets)) return `p99: ${x(r.p99VsSockets)} channel sockets (same run)`;
  if (Number.isFinite(r.p99VsHistory)) return `p99: ${x(r.p99VsHistory)} REST history page (same run)`;
  return "";
}

const SUMMED = new Set(["lost", "reordered", "dupes"]);

/**
 * `runs`: one array of rows per measured run. Rows are matched by target + part + scenario; every
 * numeric field becomes the median of the runs (lost / reordered / dupes are summed: one loss in any run
 * is a loss), `range[field]` keeps [min, max], errors are summed, `runs` counts the runs.
 */
export function aggregate(runs) {
  const groups = new Map();
  for (const rows of runs)
    for (const raw of rows) {
      const r = derive(raw);
      const k = `${r.target}\u0000${r.part}\u0000${r.what}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
  const out = [];
  for (const rs of groups.values()) {
    const first = rs[0];
    const row = { ...first, runs: rs.length, range: {} };
    // every numeric field of any run (a derived figure may be missing from one run: CPU not measured)
    const keys = new Set(rs.flatMap((r) => Object.keys(r).filter((key) => typeof r[key] === "number")));
    for (const key of keys) {
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

/**
 * "met (median; …)" only when every measured goal of the row is met by the median, "missed (median; …)"
 * naming each goal with ✓ / ✗ / n/a; "" for a row without goals.
 */
export function goalVerdict(r) {
  const gs = goalsOf(r);
  if (!gs.length) return "";
  const judged = gs.map((g) => {
    const v = g.value(r);
    return { g, state: Number.isFinite(v) ? (g.ok(v) ? "✓" : "✗") : "n/a" };
  });
  const missed = judged.some((j) => j.state === "✗");
  const measured = judged.some((j) => j.state === "✓");
  const detail = judged.map((j) => (gs.length > 1 || j.state === "n/a" ? `${j.g.text} ${j.state}` : j.g.text));
  const verdict = missed ? "missed" : measured ? "met" : "not measured";
  return `${verdict} (median; goal ${detail.join(", ")})`;
}
