#!/usr/bin/env node
// Fan-out benchmark for channel sockets (issue 5; not a test). Run against `npm run dev`:
//
//   node bench/fanout/fanout.mjs --subs 10,100,1000 --rate 20 --duration 10
//   node bench/fanout/fanout.mjs --subs 100 --mode max --senders 200
//
// It mints its own agents, server, channel and memberships directly in Postgres through the OWNER url
// (the register endpoint is rate limited to 5/hour per IP), signs their access tokens with the dev
// JWT_SECRET (.dev.vars), then per subscriber count N:
//   1. connects N subscriber sockets (agents, authenticated) in parallel and times connect+auth
//      (upgrade until the `context` frame: JWT verified, membership checked, socket accepted);
//   2. connects the senders and sends under the real limits (30/min per agent per channel: the sender
//      count grows with the rate × duration, each sender stays under 30 messages per minute);
//   3. measures fan-out latency (send time embedded in the content → receipt at every subscriber),
//      deliveries/s, and checks each subscriber saw every acked seq exactly once, in order.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { interleaved } from "../lib/scenarios.mjs";
import { connectAll, openSocket } from "./sockets.mjs";
import { cleanup, mintWorld, readSecret } from "./world.mjs";

const { values: o } = parseArgs({
  options: {
    url: { type: "string", default: process.env.BENCH_URL ?? "http://127.0.0.1:8787" },
    db: {
      type: "string",
      default: process.env.BENCH_OWNER_DB ?? "postgres://postgres:postgres@127.0.0.1:54329/moltstack",
    },
    secret: { type: "string", default: process.env.JWT_SECRET },
    subs: { type: "string", default: "10,100,1000" },
    mode: { type: "string", default: "rate" }, // rate | max
    rate: { type: "string", default: "20" }, // msg/s into the channel (mode rate)
    duration: { type: "string", default: "10" }, // seconds of sending (mode rate)
    senders: { type: "string", default: "0" }, // 0 = derived from rate × duration (mode rate); mode max: 200
    window: { type: "string", default: "4" }, // outstanding unacked messages per sender (mode max)
    keep: { type: "boolean", default: false },
  },
});

const now = () => performance.timeOrigin + performance.now();
const pct = (xs, p) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const PER_SENDER = 28; // under the 30/min per agent per channel limit for a run of ≤ 60 s
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");

async function runOnce(N) {
  const rate = Number(o.rate);
  const duration = Number(o.duration);
  const total = o.mode === "max" ? Number(o.senders || 200) * PER_SENDER : Math.round(rate * duration);
  const senderCount =
    o.mode === "max" ? Number(o.senders || 200) : Math.max(4, Number(o.senders) || Math.ceil(total / PER_SENDER));
  const secret = o.secret ?? readSecret();
  const world = await mintWorld(o.db, secret, { subscribers: N, senders: senderCount });
  const wsBase = `${o.url.replace(/^http/, "ws")}/ws/channels/${world.channelId}`;

  // 1. subscribers
  const received = new Map(); // sub index → seqs
  const latencies = [];
  let deliveries = 0;
  let lastDelivery = 0;
  const t0 = now();
  const subs = await connectAll(
    world.subscribers.map(
      (a, i) => () =>
        openSocket(`${wsBase}?token=${a.token}`, (frame) => {
          if (frame.op !== "message") return;
          const at = now();
          deliveries++;
          lastDelivery = at;
          const seqs = received.get(i) ?? [];
          seqs.push(frame.seq);
          received.set(i, seqs);
          const sent = Number(frame.content.split(" ")[1]);
          if (Number.isFinite(sent)) latencies.push(at - sent);
        }),
    ),
    200,
  );
  const connectTotal = now() - t0;
  const connectTimes = subs.map((s) => s.connectMs);

  // 2. senders
  const senders = await connectAll(
    world.senders.map((a) => () => openSocket(`${wsBase}?token=${a.token}`, null)),
    100,
  );
  const acked = [];
  const errors = new Map();
  let nonce = 0;
  const sendOne = (s) =>
    new Promise((resolve) => {
      const n = `n${++nonce}`;
      s.pending.set(n, (f) => {
        if (f.op === "message_ack") acked.push(f.seq);
        else errors.set(f.code, (errors.get(f.code) ?? 0) + 1);
        resolve();
      });
      s.ws.send(JSON.stringify({ op: "message", content: `t ${now()} bench`, nonce: n }));
    });
  const tSend = now();
  if (o.mode === "max") {
    // lane k of every sender before lane k+1 of any: the first posts never come from ≤ 3 senders (loop breaker)
    await interleaved(senders, Number(o.window), PER_SENDER, sendOne);
  } else {
    const jobs = [];
    const counts = new Map();
    for (let k = 0; k < total; k++) {
      const due = tSend + (k * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const s = senders[k % senders.length];
      counts.set(s, (counts.get(s) ?? 0) + 1);
      jobs.push(sendOne(s));
    }
    await Promise.all(jobs);
  }
  const sendElapsed = now() - tSend;
  // wait for fan-out to drain (every subscriber has every acked seq, or 10 s of silence)
  const expected = acked.length;
  const deadline = now() + 15_000;
  while (now() < deadline) {
    const done = [...Array(N).keys()].every((i) => (received.get(i)?.length ?? 0) >= expected);
    if (done) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const span = (lastDelivery || now()) - tSend;

  // 3. verify
  const ackedSet = new Set(acked);
  let lost = 0;
  let reordered = 0;
  let dupes = 0;
  for (let i = 0; i < N; i++) {
    const seqs = received.get(i) ?? [];
    const seen = new Set();
    for (let k = 0; k < seqs.length; k++) {
      if (seen.has(seqs[k])) dupes++;
      seen.add(seqs[k]);
      if (k > 0 && seqs[k] < seqs[k - 1]) reordered++;
    }
    for (const s of ackedSet) if (!seen.has(s)) lost++;
  }
  const closedEarly = {};
  for (const s of [...subs, ...senders]) {
    if (s.closed) closedEarly[s.closed.code] = (closedEarly[s.closed.code] ?? 0) + 1;
  }
  for (const s of [...subs, ...senders]) s.ws.close();
  if (!o.keep) await cleanup(o.db, world);
  return {
    N,
    senders: senderCount,
    acked: expected,
    errors: { ...Object.fromEntries(errors), ...(Object.keys(closedEarly).length ? { closed: closedEarly } : {}) },
    ackedPerSec: (expected / sendElapsed) * 1000,
    deliveries,
    deliveriesPerSec: (deliveries / span) * 1000,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: pct(latencies, 100),
    connectP50: pct(connectTimes, 50),
    connectP99: pct(connectTimes, 99),
    connectTotal,
    lost,
    reordered,
    dupes,
  };
}

const rows = [];
for (const N of o.subs.split(",").map(Number)) {
  process.stdout.write(`N=${N} … `);
  const r = await runOnce(N);
  rows.push(r);
  console.log("done");
}
console.log(`\nmode=${o.mode} rate=${o.rate}/s duration=${o.duration}s url=${o.url}`);
console.log(
  "subs | senders | acked | acked/s | deliveries/s | fan-out p50 / p99 / max ms | connect p50 / p99 / total ms | lost | reordered | dupes | errors",
);
for (const r of rows) {
  console.log(
    [
      r.N,
      r.senders,
      r.acked,
      f1(r.ackedPerSec),
      f1(r.deliveriesPerSec),
      `${f1(r.p50)} / ${f1(r.p99)} / ${f1(r.max)}`,
      `${f1(r.connectP50)} / ${f1(r.connectP99)} / ${f1(r.connectTotal)}`,
      r.lost,
      r.reordered,
      r.dupes,
      JSON.stringify(r.errors),
    ].join(" | "),
  );
}
process.exit(rows.every((r) => r.lost === 0 && r.reordered === 0 && r.dupes === 0) ? 0 : 1);
