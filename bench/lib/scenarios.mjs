// The bench suite's scenarios, target-agnostic: the same generator drives MoltStack (`npm run dev`) and
// the plain `ws` baseline. A target is { name, url, mint(subs, senders), cleanup(world), serverPids(),
// rssPids() }. Every scenario returns rows for the table (bench/run.mjs).
import { performance } from "node:perf_hooks";
import { connectAll, openSocket } from "../fanout/sockets.mjs";
import { interleaved } from "./pace.mjs";
import { cpuMeter, loadavg, rssMb, settle } from "./proc.mjs";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs, p) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
/** Under MoltStack's 30 messages/min per agent per channel for runs of ≤ 60 s. */
export const PER_SENDER = 28;

const wsBase = (t, world) => `${t.url.replace(/^http/, "ws")}/ws/channels/${world.channelId}`;

export { interleaved } from "./pace.mjs";

/** Per-subscriber received seqs → lost / reordered / duplicates against the acked set. */
export function verify(received, N, acked) {
  let lost = 0;
  let reordered = 0;
  let dupes = 0;
  for (let i = 0; i < N; i++) {
    const seqs = received[i];
    const seen = new Set();
    for (let k = 0; k < seqs.length; k++) {
      if (seen.has(seqs[k])) dupes++;
      seen.add(seqs[k]);
      if (k > 0 && seqs[k] < seqs[k - 1]) reordered++;
    }
    for (const s of acked) if (!seen.has(s)) lost++;
  }
  return { lost, reordered, dupes };
}

export function sender(acked, errors, ackMs = []) {
  let nonce = 0;
  return (s) =>
    new Promise((resolve) => {
      const n = `n${++nonce}`;
      const t0 = now();
      const timer = setTimeout(() => {
        // bounded: an ack that never comes is counted, not waited for
        s.pending.delete(n);
        errors.no_ack = (errors.no_ack ?? 0) + 1;
        resolve();
      }, 30_000);
      s.pending.set(n, (f) => {
        clearTimeout(timer);
        if (f.op === "message_ack") {
          acked.push(f.seq);
          ackMs.push(now() - t0);
        } else errors[f.code] = (errors[f.code] ?? 0) + 1;
        resolve();
      });
      s.ws.send(JSON.stringify({ op: "message", content: `t ${now()} bench`, nonce: n }));
    });
}

/**
 * A REST sender: POST /api/v1/channels/:id/messages as `agent`, the same bounded wait, the seq from the
 * 201 body. `fetch` keeps connections alive, so a lane reuses its connection.
 */
function restSender(t, world, acked, errors) {
  const url = `${t.url}/api/v1/channels/${world.channelId}/messages`;
  let ip = 0;
  return async (agent) => {
    try {
      const r = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${agent.token}`,
          "content-type": "application/json",
          "cf-connecting-ip": `10.77.${(ip >> 8) & 255}.${ip++ & 255}`,
        },
        body: JSON.stringify({ content: `t ${now()} bench` }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = await r.json().catch(() => null);
      if (r.status === 201 && typeof body?.message?.seq === "number") acked.push(body.message.seq);
      else errors[`http_${r.status}`] = (errors[`http_${r.status}`] ?? 0) + 1;
    } catch (e) {
      const k = e?.name === "TimeoutError" ? "no_ack" : "fetch_failed";
      errors[k] = (errors[k] ?? 0) + 1;
    }
  };
}

async function drain(received, N, expected, ms = 15_000) {
  const deadline = now() + ms;
  while (now() < deadline) {
    let done = true;
    for (let i = 0; i < N && done; i++) if (received[i].length < expected) done = false;
    if (done) return;
    await sleep(25);
  }
}

function closedEarly(socks) {
  const out = {};
  for (const s of socks) if (s?.closed) out[s.closed.code] = (out[s.closed.code] ?? 0) + 1;
  return out;
}

/**
 * Fan-out: N subscribers; senders either as fast as acks allow (`max`: each of `senders` keeps `window`
 * messages outstanding, PER_SENDER each) or at `rate` msg/s for `duration` s. Senders hold sockets that
 * also receive every broadcast (`via: "socket"`), publisher sockets (`via: "publisher"`: `?receive=none`,
 * acks only), or post over REST and hold no socket (`via: "rest"`). `frames: "batch"` (issue 25): the
 * subscribers ask for batch frames (`?frames=batch`: ops ready together in one frame) and unpack them;
 * the default is the spec's one frame per op (the baseline's wire, for comparable headlines).
 */
export async function fanout(
  t,
  {
    part,
    N,
    mode,
    rate = 20,
    duration = 10,
    senders = 200,
    window = 4,
    concurrency = 200,
    via = "socket",
    frames = "plain",
  },
) {
  const total = mode === "max" ? senders * PER_SENDER : Math.round(rate * duration);
  const senderCount = mode === "max" ? senders : Math.max(4, Math.ceil(total / PER_SENDER));
  const world = await t.mint(N, senderCount);
  const base = wsBase(t, world);
  const received = Array.from({ length: N }, () => []);
  const latencies = [];
  let deliveries = 0;
  let lastDelivery = 0;
  const t0 = now();
  const connMeter = cpuMeter(t.serverPids);
  const batch = frames === "batch";
  let batchFrames = 0;
  const subs = await connectAll(
    world.subscribers.map((a, i) => () => {
      const onMessage = (f, at) => {
        if (f.op !== "message") return;
        deliveries++;
        lastDelivery = at;
        received[i].push(f.seq);
        const sent = Number(f.content.split(" ")[1]);
        if (Number.isFinite(sent)) latencies.push(at - sent);
      };
      return openSocket(`${base}?token=${a.token}${batch ? "&frames=batch" : ""}`, (f) => {
        const at = now();
        if (f.op !== "batch") return onMessage(f, at);
        batchFrames++;
        for (const x of f.frames) onMessage(x, at);
      });
    }),
    concurrency,
  );
  const connectTotal = now() - t0;
  const connCpu = connMeter();
  const connectTimes = subs.map((s) => s.connectMs);
  const sendSocks =
    via === "rest"
      ? []
      : await connectAll(
          world.senders.map(
            (a) => () => openSocket(`${base}?token=${a.token}${via === "publisher" ? "&receive=none" : ""}`, null),
          ),
          100,
        );
  await sleep(300);
  const acked = [];
  const errors = {};
  const ackMs = [];
  const sendOne = sender(acked, errors, ackMs);
  const postOne = restSender(t, world, acked, errors);
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const tSend = now();
  if (mode === "max" && via === "rest") {
    await interleaved(world.senders, window, PER_SENDER, postOne);
  } else if (mode === "max") {
    await interleaved(sendSocks, window, PER_SENDER, sendOne);
  } else {
    const jobs = [];
    for (let k = 0; k < total; k++) {
      const wait = tSend + (k * 1000) / rate - now();
      if (wait > 1) await sleep(wait);
      jobs.push(sendOne(sendSocks[k % sendSocks.length]));
    }
    await Promise.all(jobs);
  }
  const sendElapsed = now() - tSend;
  await drain(received, N, acked.length);
  const cpu = meter();
  const span = (lastDelivery || now()) - tSend;
  const v = verify(received, N, acked);
  const closed = closedEarly([...subs, ...sendSocks]);
  for (const s of [...subs, ...sendSocks]) s.ws.terminate();
  await t.cleanup(world);
  return [
    {
      part,
      target: t.name,
      what:
        mode === "max"
          ? `${N} subs, ${senderCount} ${via === "rest" ? "REST senders" : via === "publisher" ? "publisher sockets" : "senders (also subscribed)"} max`
          : `${N} subs @ ${rate} msg/s${batch ? " (batch frames)" : ""}`,
      acked: acked.length,
      ackedPerSec: (acked.length / sendElapsed) * 1000,
      deliveriesPerSec: (deliveries / span) * 1000,
      // paced parts: what the senders offered (N subscribers × rate); deliveriesPerSec ÷ this = kept up
      ...(mode === "rate" ? { offeredPerSec: N * rate } : {}),
      framesPerSec: ((deliveries + sendSocks.reduce((n, s) => n + s.frames, 0)) / span) * 1000,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: pct(latencies, 100),
      connectP50: pct(connectTimes, 50),
      connectP99: pct(connectTimes, 99),
      connectTotal,
      connectServerCpu: connCpu.server,
      // send → ack at the sender (durable commit included), socket senders only
      ackP50: pct(ackMs, 50),
      ackP99: pct(ackMs, 99),
      ...v,
      errors: { ...errors, ...(Object.keys(closed).length ? { closed } : {}) },
      serverCpu: cpu.server,
      serverCpuSec: cpu.serverSec,
      deliveries,
      // frames=batch: how many batch frames carried the deliveries (the rest came one per frame)
      ...(batch ? { batchFrames } : {}),
      generatorCpu: cpu.generator,
      load: la,
    },
  ];
}

/**
 * Connection storm (d), idle memory, warm single connects, then a reconnect storm with resume (e):
 * N subscribers connect; RSS before/after; `single` sequential warm connect+auth; senders post at
 * `rate` msg/s for `seconds` s; after 1/3 of it every subscriber socket is dropped and reconnected with
 * `?after_seq=<last seq seen>`; every subscriber must end with every acked seq once, in order.
 */
export async function storm(t, { parts, N = 1000, concurrency = 200, single = 100, rate = 20, seconds = 9 }) {
  const rows = [];
  const senderCount = Math.max(4, Math.ceil((rate * seconds) / PER_SENDER));
  const world = await t.mint(N, senderCount);
  const base = wsBase(t, world);
  const received = Array.from({ length: N }, () => []);
  const onFrame = (i) => (f) => {
    if (f.op === "message") received[i].push(f.seq);
  };
  await sleep(500);
  const rss0 = rssMb(t.rssPids());
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const t0 = now();
  const subs = await connectAll(
    world.subscribers.map((a, i) => () => openSocket(`${base}?token=${a.token}`, onFrame(i))),
    concurrency,
  );
  const total = now() - t0;
  const cpu = meter();
  const times = subs.map((s) => s.connectMs);
  // warm, one at a time: the cost of a single connect+auth when nothing else is going on (once the
  // storm's tail — presence reports, the first presence broadcast — is over)
  await settle(t.serverPids);
  const singles = [];
  for (let k = 0; k < single; k++) {
    const a = world.subscribers[k % N];
    const s = await openSocket(`${base}?token=${a.token}`, null);
    singles.push(s.connectMs);
    s.ws.terminate();
  }
  await sleep(2000);
  const rss1 = rssMb(t.rssPids());
  if (parts.includes("d")) {
    rows.push({
      part: "d",
      target: t.name,
      what: `${N} sockets connect (${concurrency} at a time)`,
      connectP50: pct(times, 50),
      connectP99: pct(times, 99),
      connectTotal: total,
      singleP50: pct(singles, 50),
      singleP99: pct(singles, 99),
      serverCpu: cpu.server,
      generatorCpu: cpu.generator,
      errors: closedEarly(subs),
      load: la,
    });
  }
  if (parts.includes("mem")) {
    rows.push({
      part: "mem",
      target: t.name,
      what: `RSS per 1,000 idle sockets`,
      rssBefore: rss0,
      rssAfter: rss1,
      rssPer1000: ((rss1 - rss0) / N) * 1000,
      load: loadavg(),
    });
  }
  if (parts.includes("e")) {
    const sendSocks = await connectAll(
      world.senders.map((a) => () => openSocket(`${base}?token=${a.token}`, null)),
      100,
    );
    const acked = [];
    const errors = {};
    const sendOne = sender(acked, errors);
    const la2 = loadavg();
    const meter2 = cpuMeter(t.serverPids);
    const count = Math.round(rate * seconds);
    const tSend = now();
    const jobs = [];
    let storm = null;
    const live = [...subs];
    for (let k = 0; k < count; k++) {
      const wait = tSend + (k * 1000) / rate - now();
      if (wait > 1) await sleep(wait);
      jobs.push(sendOne(sendSocks[k % sendSocks.length]));
      if (k === Math.floor(count / 3)) {
        // drop every subscriber socket at once, reconnect with resume
        for (const s of live) s.ws.terminate();
        const ts = now();
        storm = connectAll(
          world.subscribers.map((a, i) => () => {
            const last = received[i].at(-1) ?? 0;
            return openSocket(`${base}?token=${a.token}&after_seq=${last}`, onFrame(i)).then((s) => {
              live[i] = s;
              return s;
            });
          }),
          concurrency,
        ).then(() => now() - ts);
      }
    }
    await Promise.all(jobs);
    const reconnectTotal = await storm;
    await drain(received, N, acked.length);
    const c2 = meter2();
    const v = verify(received, N, acked);
    rows.push({
      part: "e",
      target: t.name,
      what: `${N} dropped + resumed under ${rate} msg/s`,
      acked: acked.length,
      connectTotal: reconnectTotal,
      ...v,
      errors: { ...errors, ...(Object.keys(closedEarly(live)).length ? { closed: closedEarly(live) } : {}) },
      serverCpu: c2.server,
      generatorCpu: c2.generator,
      load: la2,
    });
    for (const s of sendSocks) s.ws.terminate();
  }
  for (const s of subs) s.ws.terminate();
  await t.cleanup(world);
  return rows;
}

/** History (f): 60 messages posted over the socket, then `n` sequential REST pages of 50 (after a warm-up). */
export async function history(t, { n = 200 } = {}) {
  if (n + 20 > 5 * 90) throw new Error("history: at most 430 requests (API limit of 100/min per reader)");
  // 5 readers (the API allows 100 requests/min per agent); 6 writers × 10 messages (3 or fewer voices
  // trading messages would trip the loop breaker)
  const world = await t.mint(5, 6);
  const base = wsBase(t, world);
  const socks = await connectAll(
    world.senders.map((a) => () => openSocket(`${base}?token=${a.token}`, null)),
    6,
  );
  const acked = [];
  const errors = {};
  const sendOne = sender(acked, errors);
  await Promise.all(
    socks.map(async (s) => {
      for (let k = 0; k < 10; k++) await sendOne(s);
    }),
  );
  const url = `${t.url}/api/v1/channels/${world.channelId}/messages?limit=50`;
  let turn = 0;
  const get = async () => {
    const headers = { authorization: `Bearer ${world.subscribers[turn++ % world.subscribers.length].token}` };
    const t0 = performance.now();
    const r = await fetch(url, { headers });
    const body = await r.json();
    const ms = performance.now() - t0;
    if (r.status !== 200 || body.messages?.length !== 50)
      errors[`http_${r.status}`] = (errors[`http_${r.status}`] ?? 0) + 1;
    return ms;
  };
  for (let k = 0; k < 20; k++) await get();
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const times = [];
  for (let k = 0; k < n; k++) times.push(await get());
  const cpu = meter();
  for (const s of socks) s.ws.terminate();
  await t.cleanup(world);
  return [
    {
      part: "f",
      target: t.name,
      what: `history page of 50 (REST, ${n} sequential)`,
      p50: pct(times, 50),
      p99: pct(times, 99),
      max: pct(times, 100),
      errors,
      serverCpu: cpu.server,
      generatorCpu: cpu.generator,
      load: la,
    },
  ];
}

/**
 * The cost of a request that does nothing (floor): `n` sequential GETs of `path` (latency p50/p99/max),
 * then `concurrency` keep-alive clients for `seconds` s (requests/s, server CPU). Against MoltStack the
 * path is an unknown /api/v1 route (the whole middleware stack, no database, no object); against the
 * no-op Worker and the Node baseline, their cheapest answer.
 */
export async function floor(t, { path, n = 200, concurrency = 64, seconds = 3 }) {
  const url = `${t.url}${path}`;
  const get = async (i) => {
    const r = await fetch(url, { headers: { "cf-connecting-ip": `10.66.${(i >> 8) & 255}.${i & 255}` } });
    await r.arrayBuffer();
  };
  for (let k = 0; k < 20; k++) await get(k);
  const times = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    await get(k);
    times.push(performance.now() - t0);
  }
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  let done = 0;
  const end = now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (now() < end) {
        await get(i);
        done++;
      }
    }),
  );
  const cpu = meter();
  return [
    {
      part: "floor",
      target: t.name,
      what: `GET ${path}: ${n} sequential, then ${concurrency} concurrent for ${seconds} s`,
      reqPerSec: done / seconds,
      p50: pct(times, 50),
      p99: pct(times, 99),
      max: pct(times, 100),
      serverCpu: cpu.server,
      generatorCpu: cpu.generator,
      load: la,
    },
  ];
}
