#!/usr/bin/env node
// The bench suite (issue 9): `npm run bench` (all parts) or `npm run bench:<part>`. Bounded in time;
// prints one table with MoltStack's figure, the plain `ws` baseline's and their ratio.
//
//   npm run dev                                    # other terminal (the stack under test; quieter:
//                                                  #   npm run dev -- --var LOG_REQUESTS:false --log-level warn)
//   npm run bench                                  # parts a,b,b2,b3,c,c40,d,mem,e,f,floor,g1,g2,m,mb
//   node bench/run.mjs --parts a,c --target moltstack --url http://127.0.0.1:8787
//
// Parts: a = 100 subscribers, senders as fast as acks allow (deliveries/s); b = 10 subscribers, max acked
// msg/s from 200 publisher sockets (b2: REST senders; b3: senders that also subscribe); c = 1,000 subscribers at 20 msg/s (fan-out p50/p99/max, lost/reordered/dupes, server CPU µs per delivery); c40 = the same at 40 msg/s (keeps up? delivered ÷ offered); d = 1,000
// authenticated sockets connect (total, per-socket p50/p99, warm single connect); mem = RSS per 1,000
// idle sockets; e = reconnect storm with resume (lost/reordered = 0); f = history page of 50 via REST;
// floor = a request that does nothing: MoltStack (unknown route), a no-op Worker in workerd, the baseline.
// g1 = one gateway socket (GET /ws + subscribe, issue 17) on 100 channels at 20 msg/s overall, and the
// 100-channel subscribe time; g2 = 1,000 subscribers of one channel at 20 msg/s as channel sockets, then as
// gateway sockets (fan-out p99 of both). g parts run against MoltStack only (`npm run bench:g`).
// m = issue 21: 100 agents long-polling MCP wait_for_messages and 100 channel sockets on the same channel at
// 10 msg/s (delivery p50/p99 of both, same run; MoltStack only: `npm run bench:m`).
// mb = issue 25: the Moltbook layer's GET /feed and GET /search, and the native message search, each read
// by 50 clients × 0.4 req/s (20 req/s, open loop) beside the plain REST history page under the same load, while a channel receives
// 10 msg/s (its sockets' delivery p50/p99 in the same run); MoltStack only: `npm run bench:moltbook`.
// The baseline (bench/baseline/ws-broadcast.mjs) is started here, in the same invocation. With taskset,
// the servers are pinned to core 0 and this generator to core 1 (the dev stack's processes are re-pinned).
// Issue 25: every part runs once as a discarded warm-up, then --runs N times (default 3; --quick: once, no
// warm-up); the table shows medians and each headline's [min–max] (bench/lib/stats.mjs). Part relay =
// 5,000 observer sockets through the relay tier at 2 msg/s (--relay-rate), nothing lost or reordered
// (`npm run bench:relay`; start the stack with `-- --var RELAY_THRESHOLD:0` to relay every viewer).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanup, fakeWorld, mintWorld, readSecret } from "./fanout/world.mjs";
import { fanoutBatch } from "./lib/fanout-batch.mjs";
import { gatewayMany, gatewayWide } from "./lib/gateway.mjs";
import { mcpLongPoll } from "./lib/mcp.mjs";
import { moltbookDoors } from "./lib/moltbook.mjs";
import { affinity, devStack, hasTaskset, loadavg, pin, settle, tree } from "./lib/proc.mjs";
import { relayFanout } from "./lib/relay.mjs";
import { fanout, floor, history, storm } from "./lib/scenarios.mjs";
import { aggregate, goalsText, goalVerdict, HEADLINE, headlineCell, sameRunVs } from "./lib/stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/** How many of the dev stack's processes are workerd, Postgres (postmaster + backends) and the rest. */
const describeStack = (stack) =>
  `${stack.pids.length} processes (workerd ${stack.workerd.length}, postgres ${stack.postgres.length} incl. backends, other ${stack.pids.length - stack.workerd.length - stack.postgres.length})`;
const { values: o } = parseArgs({
  options: {
    parts: { type: "string", default: "a,b,b2,b3,c,c40,c-batch,c40-batch,d,mem,e,f,floor,g1,g2,m,mb" },
    target: { type: "string", default: "both" }, // both | moltstack | baseline
    url: { type: "string", default: process.env.BENCH_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}` },
    db: {
      type: "string",
      default:
        process.env.BENCH_OWNER_DB ??
        `postgres://postgres:postgres@127.0.0.1:${process.env.DEV_PG_PORT ?? 54329}/moltstack`,
    },
    secret: { type: "string", default: process.env.JWT_SECRET },
    "baseline-port": { type: "string", default: "8799" },
    subs: { type: "string", default: "1000" }, // N for parts c, d, mem, e
    concurrency: { type: "string", default: "200" }, // sockets connecting at once
    "no-pin": { type: "boolean", default: false }, // leave every process where the scheduler puts it
    "relay-sockets": { type: "string", default: "5000" }, // observer sockets of part relay
    "relay-rate": { type: "string", default: "2" }, // msg/s of part relay (× sockets = deliveries/s)
    "mb-clients": { type: "string", default: "50" }, // concurrent readers per door of part mb
    "mb-rate": { type: "string", default: "0.4" }, // requests/s per reader of part mb (50 × 0.4 = 20 req/s)
    "mb-seconds": { type: "string", default: "10" }, // measured seconds per door of part mb
    runs: { type: "string", default: "3" }, // measured runs per part (after one discarded warm-up run)
    quick: { type: "boolean", default: false }, // one run, no warm-up (a smoke check, not a figure)
    json: { type: "boolean", default: false },
  },
});

// Pin this generator to core 1 (re-exec under taskset once).
const taskset = hasTaskset() && os.cpus().length >= 2;
if (!o["no-pin"] && taskset && !process.env.BENCH_PINNED) {
  const r = spawnSync("taskset", ["-c", "1", process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, BENCH_PINNED: "1" },
  });
  process.exit(r.status ?? 1);
}

const parts = o.parts.split(",").map((s) => s.trim());
const N = Number(o.subs);
const conc = Number(o.concurrency);
const secret = o.secret ?? readSecret();
const notes = [];
const RUNS = o.quick ? 1 : Math.max(1, Number(o.runs) || 3);
const WARMUP = !o.quick;

function moltstack() {
  const port = new URL(o.url).port || "80";
  const stack = devStack(port);
  if (!stack) notes.push(`moltstack: no \`npm run dev\` process found for port ${port}; server CPU/RSS not measured`);
  else if (!o["no-pin"] && taskset) {
    pin(stack.pids, 0);
    notes.push(
      `moltstack: ${describeStack(stack)} pinned to core ${affinity(stack.workerd[0] ?? stack.root)} (postgres ${stack.postmaster ? `postmaster ${stack.postmaster} on core ${affinity(stack.postmaster)}` : "not found"}); re-pinned before every part, every one counted in server CPU`,
    );
  }
  const pids = () => (stack ? (devStack(port)?.pids ?? []) : []);
  // new Postgres backends inherit the postmaster's affinity; re-pin anyway before every part (a backend
  // forked before the first pin, a workerd restarted by wrangler)
  const repin = () => {
    if (stack && !o["no-pin"] && taskset) pin(pids(), 0);
  };
  return {
    name: "moltstack",
    url: o.url,
    mint: (subs, senders, extra = {}) => mintWorld(o.db, secret, { subscribers: subs, senders, ...extra }),
    cleanup: (world) => cleanup(o.db, world),
    serverPids: pids,
    repin,
    rssPids: () => (stack ? (devStack(port)?.workerd ?? []) : []),
  };
}

async function baseline() {
  const port = o["baseline-port"];
  const args = [path.join(here, "baseline", "ws-broadcast.mjs"), "--port", port, "--secret", secret];
  const child =
    !o["no-pin"] && taskset
      ? spawn("taskset", ["-c", "0", process.execPath, ...args], { stdio: ["ignore", "pipe", "inherit"] })
      : spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  await once(child.stdout, "data");
  const pid = () => {
    // under taskset the node process replaces taskset (exec), so child.pid is the server
    return [child.pid];
  };
  return {
    name: "baseline",
    url: `http://127.0.0.1:${port}`,
    mint: (subs, senders) => fakeWorld(secret, { subscribers: subs, senders }),
    cleanup: async () => {},
    serverPids: pid,
    rssPids: pid,
    stop: () => child.kill("SIGTERM"),
  };
}

/** The no-op Worker in workerd (bench/baseline/noop-worker.mjs), for part `floor` only. */
async function noopWorker() {
  const port = String(Number(o["baseline-port"]) - 1);
  const args = [path.join(here, "baseline", "noop-worker.mjs"), "--port", port];
  const child =
    !o["no-pin"] && taskset
      ? spawn("taskset", ["-c", "0", process.execPath, ...args], { stdio: ["ignore", "pipe", "inherit"] })
      : spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  await once(child.stdout, "data");
  // workerd is Miniflare's child: pin it too and count its CPU
  const pids = () => tree(child.pid);
  if (!o["no-pin"] && taskset) pin(pids(), 0);
  return {
    name: "workerd no-op",
    url: `http://127.0.0.1:${port}`,
    serverPids: pids,
    rssPids: pids,
    stop: () => child.kill("SIGTERM"),
  };
}

async function runParts(t, label = "") {
  const rows = [];
  const step = async (name, fn) => {
    t.repin?.();
    const waited = await settle(t.serverPids);
    process.stderr.write(`[bench] ${t.name} ${name}${label} (settled in ${(waited / 1000).toFixed(1)} s) … `);
    const t0 = Date.now();
    try {
      const got = await fn();
      rows.push(...got);
      process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      for (const r of got) process.stderr.write(`[bench]   ${JSON.stringify(r)}\n`);
    } catch (e) {
      process.stderr.write(`failed: ${e.message}\n`);
      rows.push({ part: name, target: t.name, what: "failed", errors: { failed: e.message } });
    }
  };
  if (parts.includes("a"))
    await step("a", () => fanout(t, { part: "a", N: 100, mode: "max", senders: 100, window: 8, concurrency: conc }));
  // 10 subscriber sockets and 200 senders (30 messages/min per agent per channel needs that many): b, as
  // publisher sockets (`?receive=none`: acks, no broadcasts); b2, over REST (agents woken by a webhook
  // reply this way); b3, as ordinary sockets that also receive every broadcast (210 subscribers in fact).
  if (parts.includes("b"))
    await step("b", () =>
      fanout(t, { part: "b", N: 10, mode: "max", senders: 200, concurrency: conc, via: "publisher" }),
    );
  if (parts.includes("b2"))
    await step("b2", () =>
      fanout(t, { part: "b2", N: 10, mode: "max", senders: 200, window: 2, concurrency: conc, via: "rest" }),
    );
  if (parts.includes("b3"))
    await step("b3", () => fanout(t, { part: "b3", N: 10, mode: "max", senders: 200, concurrency: conc }));
  if (parts.includes("c"))
    await step("c", () => fanout(t, { part: "c", N, mode: "rate", rate: 20, duration: 10, concurrency: conc }));
  // issue 25's fourth row: the same 1,000 subscribers at 40 msg/s (does it keep up? p99)
  if (parts.includes("c40"))
    await step("c40", () => fanout(t, { part: "c40", N, mode: "rate", rate: 40, duration: 10, concurrency: conc }));
  // issue 25: the same parts with subscribers that negotiate batch frames (?frames=batch, REALTIME.md);
  // MoltStack only (the baseline has no such wire), so plain c / c40 stay the headlines beside it
  if (t.name === "moltstack" && parts.includes("c-batch"))
    await step("c-batch", () => fanoutBatch(t, { N, rate: 20, concurrency: conc }));
  if (t.name === "moltstack" && parts.includes("c40-batch"))
    await step("c40-batch", () => fanoutBatch(t, { N, rate: 40, concurrency: conc }));
  if (["d", "mem", "e"].some((p) => parts.includes(p)))
    await step("d/mem/e", () => storm(t, { parts, N, concurrency: conc }));
  if (parts.includes("f")) await step("f", () => history(t));
  if (t.name === "moltstack" && parts.includes("g1")) await step("g1", () => gatewayWide(t, { concurrency: conc }));
  if (t.name === "moltstack" && parts.includes("g2")) await step("g2", () => gatewayMany(t, { N, concurrency: conc }));
  if (t.name === "moltstack" && parts.includes("m")) await step("m", () => mcpLongPoll(t, { concurrency: conc }));
  if (t.name === "moltstack" && parts.includes("mb"))
    await step("mb", () =>
      moltbookDoors(t, {
        db: o.db,
        clients: Number(o["mb-clients"]),
        rate: Number(o["mb-rate"]),
        seconds: Number(o["mb-seconds"]),
        concurrency: conc,
      }),
    );
  if (parts.includes("floor")) {
    const p = t.name === "moltstack" ? "/api/v1/nope" : t.name === "baseline" ? "/api/v1/channels/x/messages" : "/";
    await step("floor", () => floor(t, { path: p }));
  }
  if (t.name === "moltstack" && parts.includes("relay"))
    await step("relay", () =>
      relayFanout(t, {
        db: o.db,
        secret,
        sockets: Number(o["relay-sockets"]),
        rate: Number(o["relay-rate"]),
        concurrency: conc,
      }),
    );
  return rows;
}

const targets = [];
if (o.target !== "baseline") targets.push(moltstack());
let base = null;
if (o.target !== "moltstack") {
  base = await baseline();
  targets.push(base);
}
let noop = null;
if (parts.includes("floor") && o.target !== "baseline") {
  noop = await noopWorker();
  targets.push(noop);
}
const startLoad = loadavg();
const all = [];
try {
  for (const t of targets) {
    if (t === noop) {
      const once = async () => {
        const r = await floor(t, { path: "/" }).catch((e) => [
          { part: "floor", target: t.name, what: "failed", errors: { failed: e.message } },
        ]);
        for (const x of r) process.stderr.write(`[bench]   ${JSON.stringify(x)}\n`);
        return r;
      };
      if (WARMUP) await once();
      const runs = [];
      for (let k = 0; k < RUNS; k++) runs.push(await once());
      all.push(...aggregate(runs));
    } else {
      // one discarded warm-up run (the first run after a stack start is consistently the slowest), then
      // RUNS measured runs; every headline is their median with its [min–max] range
      const warm = WARMUP ? await runParts(t, " (warm-up, discarded)") : null;
      const runs = [];
      for (let k = 1; k <= RUNS; k++) runs.push(await runParts(t, ` (run ${k}/${RUNS})`));
      const agg = aggregate(runs);
      // mem: later runs re-use the memory the warm-up's sockets freed (their median can even be negative),
      // so the goal is judged on the first 1,000 sockets of the run — the warm-up's, on a fresh stack the
      // cold cost (--quick: the one run is the first)
      const first = (warm ?? runs[0])?.find((r) => r.part === "mem");
      for (const r of agg) if (r.part === "mem" && first) r.rssPer1000First = first.rssPer1000;
      all.push(...agg);
    }
  }
} finally {
  base?.stop();
  noop?.stop();
}

// ------------------------------------------------------------------ table
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "-");
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
/** MoltStack ÷ baseline, and whether that is good news (≥ 1 for higher-is-better figures, ≤ 1 otherwise). */
const ratio = (a, b, higherBetter) =>
  Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0
    ? `${(a / b).toFixed(2)}× (${higherBetter ? "higher" : "lower"} is better)`
    : "";

const cols = [
  ["part", (r) => r.part],
  ["target", (r) => r.target],
  ["scenario", (r) => r.what],
  ["headline: median [min–max] (runs)", (r) => headlineCell(r)],
  ["goal", (r) => goalVerdict(r)],
  ["acked", (r) => f0(r.acked)],
  ["acked msg/s", (r) => f0(r.ackedPerSec)],
  ["req/s", (r) => f0(r.reqPerSec)],
  ["deliveries/s", (r) => f0(r.deliveriesPerSec)],
  ["frames out/s (all sockets)", (r) => f0(r.framesPerSec)],
  ["p50 / p99 / max ms", (r) => (r.p50 !== undefined ? `${f1(r.p50)} / ${f1(r.p99)} / ${f1(r.max)}` : "-")],
  [
    "connect p50 / p99 / total ms",
    (r) => (r.connectTotal !== undefined ? `${f1(r.connectP50)} / ${f1(r.connectP99)} / ${f0(r.connectTotal)}` : "-"),
  ],
  [
    "subscribe 100 ch cold / warm ms",
    (r) => (r.subscribeCold !== undefined ? `${f0(r.subscribeCold)} / ${f0(r.subscribeWarm)}` : "-"),
  ],
  ["single connect p50 / p99 ms", (r) => (r.singleP50 !== undefined ? `${f1(r.singleP50)} / ${f1(r.singleP99)}` : "-")],
  ["lost / reord / dup", (r) => (r.lost !== undefined ? `${r.lost} / ${r.reordered} / ${r.dupes}` : "-")],
  [
    "RSS MB before → after (per 1k)",
    (r) =>
      r.rssPer1000 !== undefined
        ? `${f0(r.rssBefore)} → ${f0(r.rssAfter)} (${f1(r.rssPer1000)}${r.rssPer1000First !== undefined ? `; first 1,000 of the run: ${f1(r.rssPer1000First)}` : ""})`
        : "-",
  ],
  [
    "server / gen CPU %",
    (r) =>
      r.serverCpu === undefined
        ? "-"
        : Number.isFinite(r.serverCpu)
          ? `${f0(r.serverCpu)} / ${f0(r.generatorCpu)}`
          : "n/a (window < 1 s)",
  ],
  // derived per run, then the median (bench/lib/stats.mjs derive)
  ["server CPU µs per delivery", (r) => f1(r.cpuUsPerDelivery)],
  ["delivered ÷ offered", (r) => (Number.isFinite(r.keepsUp) ? r.keepsUp.toFixed(3) : "-")],
  ["server CPU µs per request (mb: background subtracted)", (r) => f0(r.cpuUsPerRequest)],
  ["vs baseline", (r) => r.vs ?? ""],
  ["load avg", (r) => r.load ?? ""],
  ["errors", (r) => (r.errors && Object.keys(r.errors).length ? JSON.stringify(r.errors) : "")],
];

for (const r of all) {
  if (r.vs) continue;
  // comparisons inside one run (gateway / MCP vs channel sockets, Moltbook vs the REST history page)
  const same = sameRunVs(r);
  if (same) {
    r.vs = same;
    continue;
  }
  if (r.target !== "moltstack") continue;
  const b = all.find((x) => x.target === "baseline" && x.part === r.part);
  const h = HEADLINE[r.part];
  if (!b || !h) continue;
  const [v, hi, label] = h(r);
  const [bv] = h(b);
  const vs = [];
  const x = ratio(v, bv, hi);
  if (x) vs.push(`${label}: ${x}`);
  if (r.part === "d") {
    const single = ratio(r.singleP99, b.singleP99, false);
    if (single) vs.push(`single connect p99: ${single}`);
  }
  const cpu = ratio(r.cpuUsPerDelivery, b.cpuUsPerDelivery, false);
  if (cpu) vs.push(`CPU µs per delivery: ${cpu}`);
  r.vs = vs.join("; ");
}
const order = ["a", "b", "b2", "b3", "c", "c40", "d", "mem", "e", "f", "floor", "g1", "g2", "m", "mb", "relay"];
all.sort((x, y) => order.indexOf(x.part) - order.indexOf(y.part) || x.target.localeCompare(y.target));

if (o.json) console.log(JSON.stringify(all, null, 2));
console.log(`\n| ${cols.map((c) => c[0]).join(" | ")} |`);
console.log(`|${cols.map(() => "---").join("|")}|`);
for (const r of all) console.log(`| ${cols.map((c) => c[1](r)).join(" | ")} |`);
console.log(
  `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GB; load average at start ${startLoad}, at end ${loadavg()}`,
);
console.log(
  `runs: ${RUNS} measured per part${WARMUP ? " after 1 discarded warm-up run" : " (--quick: no warm-up; a smoke check, not a figure)"}; every column is the median of the runs, the headline with its [min–max]; lost / reordered / dup and errors are summed over the runs`,
);
console.log(`goals (met only when the MEDIAN meets it): ${goalsText()}`);
const load1 = Number(startLoad.split(" ")[0]);
if (load1 > 1.5)
  console.log(
    `contention: load average ${startLoad} at start on ${os.cpus().length} cores — measured under contention; not a clean figure`,
  );
console.log(
  `pinning: ${taskset && !o["no-pin"] ? "servers on core 0, generator on core 1 (taskset)" : "none (no taskset or --no-pin)"}; CPU % is of one core`,
);
for (const r of all) {
  if (r.generatorCpu >= 85)
    notes.push(
      `${r.target} ${r.part}: generator at ${f0(r.generatorCpu)} % of its core — the generator is the bottleneck`,
    );
}
for (const n of notes) console.log(`note: ${n}`);
const bad = all.some((r) => (r.lost ?? 0) + (r.reordered ?? 0) + (r.dupes ?? 0) > 0 || r.what === "failed");
process.exit(bad ? 1 : 0);
