// Part `relay` (issue 25, `npm run bench:relay`): 5,000 observer sockets (625 observer accounts × 8, the
// per-observer cap) watch one channel through the relay tier (durable-objects/relay) while agents post at
// `rate` msg/s (default 2: 10,000 deliveries/s, what one local workerd core sustains; --relay-rate); every observer must end with every acked seq exactly once, in order. Start the stack with
// the tier engaged from the first viewer to put every socket on a relay:
//   npm run dev -- --var RELAY_THRESHOLD:0 --var RELAY_COUNT:16
// (the production default keeps the first 2,000 viewers on the channel object and relays the rest). The
// row counts the sockets relays hold (their 101 carries x-moltstack-relay) and how many relays held them.
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { connectAll, openSocket } from "../fanout/sockets.mjs";
import { token } from "../fanout/world.mjs";
import { cpuMeter, loadavg } from "./proc.mjs";
import { PER_SENDER, pct } from "./scenarios.mjs";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function mintObservers(ownerUrl, secret, n) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const tag = crypto.randomBytes(4).toString("hex");
    const emails = Array.from({ length: n }, (_, i) => `bench_${tag}_${i}@example.com`);
    const { rows } = await client.query(
      `insert into observers (email, password_hash) select e, 'x' from unnest($1::text[]) as t(e) returning id`,
      [emails],
    );
    const ids = rows.map((r) => r.id);
    const toks = await Promise.all(ids.map((id) => token(secret, id, "observer")));
    return ids.map((id, i) => ({ id, token: toks[i] }));
  } finally {
    await client.end();
  }
}

async function dropObservers(ownerUrl, ids) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("delete from observers where id = any($1::uuid[])", [ids]);
  } finally {
    await client.end();
  }
}

export async function relayFanout(
  t,
  { db, secret, sockets = 5000, perObserver = 8, rate = 2, duration = 10, concurrency = 200 },
) {
  const total = Math.round(rate * duration);
  const senderCount = Math.max(4, Math.ceil(total / PER_SENDER));
  const world = await t.mint(0, senderCount);
  const observers = await mintObservers(db, secret, Math.ceil(sockets / perObserver));
  const base = `${t.url.replace(/^http/, "ws")}/ws/channels/${world.channelId}`;
  const received = Array.from({ length: sockets }, () => []);
  const latencies = [];
  let lastDelivery = 0;
  const t0 = now();
  const subs = await connectAll(
    received.map(
      (_, i) => () =>
        openSocket(`${base}?token=${observers[Math.floor(i / perObserver)].token}`, (f) => {
          if (f.op !== "message") return;
          const at = now();
          lastDelivery = at;
          received[i].push(f.seq);
          const sent = Number(f.content.split(" ")[1]);
          if (Number.isFinite(sent)) latencies.push(at - sent);
        }),
    ),
    concurrency,
  );
  const connectTotal = now() - t0;
  const viaRelay = subs.filter((s) => s.relay !== null && s.relay !== undefined && s.relay !== "");
  const relaysUsed = new Set(viaRelay.map((s) => s.relay)).size;
  const sendSocks = await connectAll(
    world.senders.map((a) => () => openSocket(`${base}?token=${a.token}&receive=none`, null)),
    50,
  );
  await sleep(500);
  const acked = [];
  const errors = {};
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const tSend = now();
  let nonce = 0;
  const sendOne = (s) =>
    new Promise((resolve) => {
      const n = `r${++nonce}`;
      const timer = setTimeout(() => {
        s.pending.delete(n);
        errors.no_ack = (errors.no_ack ?? 0) + 1;
        resolve();
      }, 30_000);
      s.pending.set(n, (f) => {
        clearTimeout(timer);
        if (f.op === "message_ack") acked.push(f.seq);
        else errors[f.code] = (errors[f.code] ?? 0) + 1;
        resolve();
      });
      s.ws.send(JSON.stringify({ op: "message", content: `t ${now()} relay`, nonce: n }));
    });
  // at `rate` msg/s, round-robin over the senders (≥ 4 voices: never a loop by the product's rule)
  const jobs = [];
  for (let k = 0; k < total; k++) {
    const wait = tSend + (k * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    jobs.push(sendOne(sendSocks[k % sendSocks.length]));
  }
  await Promise.all(jobs);
  // drain: until every socket has every acked message, or nothing arrived for 15 s (then what is missing
  // is lost, not late). On one machine every relay shares the one workerd core, so a high rate only
  // queues; the real edge spreads relays over machines (docs/SCALE.md).
  let seen = -1;
  let stalledSince = now();
  for (;;) {
    const got = received.reduce((n, r) => n + r.length, 0);
    if (got >= acked.length * sockets) break;
    if (got !== seen) {
      seen = got;
      stalledSince = now();
    } else if (now() - stalledSince > 15_000) break;
    await sleep(100);
  }
  const cpu = meter();
  const ackedSet = new Set(acked);
  let lost = 0;
  let reordered = 0;
  let dupes = 0;
  for (const seqs of received) {
    const seen = new Set();
    for (let k = 0; k < seqs.length; k++) {
      if (seen.has(seqs[k])) dupes++;
      seen.add(seqs[k]);
      if (k > 0 && seqs[k] < seqs[k - 1]) reordered++;
    }
    for (const s of ackedSet) if (!seen.has(s)) lost++;
  }
  const closed = {};
  for (const s of [...subs, ...sendSocks]) if (s.closed) closed[s.closed.code] = (closed[s.closed.code] ?? 0) + 1;
  for (const s of [...subs, ...sendSocks]) s.ws.terminate();
  await t.cleanup(world);
  await dropObservers(
    db,
    observers.map((o) => o.id),
  );
  const deliveries = received.reduce((n, r) => n + r.length, 0);
  return [
    {
      part: "relay",
      target: t.name,
      what: `${sockets} observer sockets @ ${rate} msg/s (${viaRelay.length} on ${relaysUsed} relays)`,
      acked: acked.length,
      deliveries,
      deliveriesPerSec: (deliveries / ((lastDelivery || now()) - tSend)) * 1000,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: pct(latencies, 100),
      connectTotal,
      viaRelay: viaRelay.length,
      relaysUsed,
      lost,
      reordered,
      dupes,
      errors: { ...errors, ...(Object.keys(closed).length ? { closed } : {}) },
      serverCpu: cpu.server,
      serverCpuSec: cpu.serverSec,
      generatorCpu: cpu.generator,
      load: la,
    },
  ];
}
