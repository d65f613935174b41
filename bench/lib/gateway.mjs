// Gateway scenarios (issue 17): the spec's one-socket-per-agent gateway (GET /ws + subscribe) against
// per-channel sockets, in the same run. MoltStack only (the baseline server has no gateway).
//   g1: one agent's gateway socket subscribed to 100 channels; 20 msg/s spread over them; the time the
//       100-channel subscribe takes (cold objects, then warm), delivery p50/p99, lost/reordered/dupes.
//   g2: 1,000 subscribers of one channel at 20 msg/s for 10 s — first as channel sockets, then as gateway
//       sockets (fresh worlds, the same senders: channel sockets), fan-out p50/p99 of both.
import { performance } from "node:perf_hooks";
import { connectAll, openSocket } from "../fanout/sockets.mjs";
import { cpuMeter, loadavg, settle } from "./proc.mjs";
import { fanout, PER_SENDER, pct } from "./scenarios.mjs";

const now = () => performance.timeOrigin + performance.now();
/** Gateway sockets connecting at once in g2 (see the note where it is used). */
const GATEWAY_CONNECT_CONCURRENCY = 25;
/**
 * g1's sender sockets connecting at once: 200 at once to 100 cold channel objects (each authorising on a
 * Postgres connection of its own, plus the Worker's token check per upgrade) reached 206 connections on
 * the local Postgres (max 200) on 2026-12-02 and failed the part with 503 database_unavailable. The
 * senders' connect time is not a figure of the part.
 */
const SENDER_CONNECT_CONCURRENCY = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wsUrl = (t) => t.url.replace(/^http/, "ws");

/** Subscribe an open gateway socket; resolves with the ms until every channel answered (subscribed + presence). */
function subscribe(s, channels, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const left = new Set(channels);
    const t0 = now();
    const timer = setTimeout(() => reject(new Error(`subscribe: ${left.size} channels unanswered`)), timeoutMs);
    s.onSub = (f) => {
      if ((f.op === "presence" || f.op === "error") && left.delete(f.channel) && left.size === 0) {
        clearTimeout(timer);
        s.onSub = null;
        if (f.op === "error") reject(new Error(`subscribe refused: ${f.code}`));
        else resolve(now() - t0);
      }
    };
    s.ws.send(JSON.stringify({ op: "subscribe", channels }));
  });
}

/** A gateway socket: frames go to `s.onSub` (while subscribing) and to `onMessage` for messages. */
async function openGateway(t, token, onMessage) {
  let s = null;
  s = await openSocket(`${wsUrl(t)}/ws?token=${token}`, (f) => {
    s?.onSub?.(f);
    if (f.op === "message") onMessage(f);
  });
  return s;
}

/** Per (subscriber, channel) seqs → lost / reordered / duplicates against the acked seqs of each channel. */
function verify(received, ackedBy) {
  let lost = 0;
  let reordered = 0;
  let dupes = 0;
  for (const byChannel of received) {
    for (const [ch, acked] of ackedBy) {
      const seqs = byChannel.get(ch) ?? [];
      const seen = new Set();
      for (let k = 0; k < seqs.length; k++) {
        if (seen.has(seqs[k])) dupes++;
        seen.add(seqs[k]);
        if (k > 0 && seqs[k] < seqs[k - 1]) reordered++;
      }
      for (const q of acked) if (!seen.has(q)) lost++;
    }
  }
  return { lost, reordered, dupes };
}

/** Channel-socket senders posting to `channelFor(k)` at `rate` msg/s; resolves with acked seqs per channel. */
async function sendAt(socketsBy, { rate, total, channelFor }) {
  const ackedBy = new Map();
  const errors = {};
  const jobs = [];
  let nonce = 0;
  const tSend = now();
  for (let k = 0; k < total; k++) {
    const wait = tSend + (k * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    const ch = channelFor(k);
    const socks = socketsBy.get(ch);
    const s = socks[k % socks.length];
    const n = `g${++nonce}`;
    jobs.push(
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          s.pending.delete(n);
          errors.no_ack = (errors.no_ack ?? 0) + 1;
          resolve();
        }, 30_000);
        s.pending.set(n, (f) => {
          clearTimeout(timer);
          if (f.op === "message_ack") {
            if (!ackedBy.has(ch)) ackedBy.set(ch, []);
            ackedBy.get(ch).push(f.seq);
          } else errors[f.code] = (errors[f.code] ?? 0) + 1;
          resolve();
        });
        s.ws.send(JSON.stringify({ op: "message", content: `t ${now()} gw`, nonce: n }));
      }),
    );
  }
  await Promise.all(jobs);
  return { ackedBy, errors, elapsed: now() - tSend };
}

async function drain(received, ackedBy, ms = 15_000) {
  const want = [...ackedBy.values()].reduce((n, a) => n + a.length, 0);
  const deadline = now() + ms;
  while (now() < deadline) {
    if (received.every((m) => [...m.values()].reduce((n, a) => n + a.length, 0) >= want)) return;
    await sleep(25);
  }
}

/** g1: one gateway socket, 100 channels, `rate` msg/s over all of them. */
export async function gatewayWide(t, { channels = 100, rate = 20, duration = 10, concurrency = 100 } = {}) {
  const total = Math.round(rate * duration);
  const senders = Math.max(4, Math.ceil(total / channels / PER_SENDER) * 4);
  const world = await t.mint(1, senders, { channels });
  const received = [new Map()];
  const latencies = [];
  const onMessage = (f) => {
    const at = now();
    if (!received[0].has(f.channel)) received[0].set(f.channel, []);
    received[0].get(f.channel).push(f.seq);
    const sent = Number(f.content.split(" ")[1]);
    if (Number.isFinite(sent)) latencies.push(at - sent);
  };
  const agent = world.subscribers[0];
  // cold: no channel object has been touched yet
  const cold = await openGateway(t, agent.token, () => {});
  const coldMs = await subscribe(cold, world.channelIds);
  cold.ws.terminate();
  await settle(t.serverPids);
  // warm: a second socket (objects and membership caches warm, as on a reconnect)
  const g = await openGateway(t, agent.token, onMessage);
  const warmMs = await subscribe(g, world.channelIds);
  // senders: one publisher channel socket per (sender, channel) they post to, round-robin
  const socketsBy = new Map();
  await connectAll(
    world.channelIds.flatMap((ch, i) =>
      [0, 1].map((j) => async () => {
        const a = world.senders[(i * 2 + j) % world.senders.length];
        const s = await openSocket(`${wsUrl(t)}/ws/channels/${ch}?token=${a.token}&receive=none`, null);
        if (!socketsBy.has(ch)) socketsBy.set(ch, []);
        socketsBy.get(ch).push(s);
        return s;
      }),
    ),
    Math.min(concurrency, SENDER_CONNECT_CONCURRENCY),
  );
  await sleep(300);
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const sent = await sendAt(socketsBy, {
    rate,
    total,
    channelFor: (k) => world.channelIds[k % world.channelIds.length],
  });
  await drain(received, sent.ackedBy);
  const cpu = meter();
  const v = verify(received, sent.ackedBy);
  g.ws.terminate();
  for (const socks of socketsBy.values()) for (const s of socks) s.ws.terminate();
  await t.cleanup(world);
  return [
    {
      part: "g1",
      target: "moltstack gateway",
      what: `1 gateway socket × ${channels} channels @ ${rate} msg/s overall`,
      acked: [...sent.ackedBy.values()].reduce((n, a) => n + a.length, 0),
      ackedPerSec: (total / sent.elapsed) * 1000,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: pct(latencies, 100),
      subscribeCold: coldMs,
      subscribeWarm: warmMs,
      ...v,
      errors: sent.errors,
      serverCpu: cpu.server,
      serverCpuSec: cpu.serverSec,
      deliveries: latencies.length,
      generatorCpu: cpu.generator,
      load: la,
    },
  ];
}

/** g2: 1,000 subscribers of one channel at `rate` msg/s: channel sockets (part c's code), then gateway sockets. */
export async function gatewayMany(t, { N = 1000, rate = 20, duration = 10, concurrency = 200 } = {}) {
  const rows = [];
  const channelRun = await fanout(t, { part: "g2", N, mode: "rate", rate, duration, concurrency });
  rows.push(...channelRun.map((r) => ({ ...r, target: "moltstack channel sockets" })));
  await settle(t.serverPids);

  const total = Math.round(rate * duration);
  const senderCount = Math.max(4, Math.ceil(total / PER_SENDER));
  const world = await t.mint(N, senderCount);
  const ch = world.channelId;
  const received = Array.from({ length: N }, () => new Map([[ch, []]]));
  const latencies = [];
  const t0 = now();
  const connMeter = cpuMeter(t.serverPids);
  const subTimes = [];
  const subs = await connectAll(
    world.subscribers.map((a, i) => async () => {
      const s = await openGateway(t, a.token, (f) => {
        const at = now();
        received[i].get(f.channel)?.push(f.seq);
        const sent = Number(f.content.split(" ")[1]);
        if (Number.isFinite(sent)) latencies.push(at - sent);
      });
      subTimes.push(await subscribe(s, [ch]));
      return s;
    }),
    // each hub socket's `hello` reads agent_config with a connection of its own: 200 at once exceed the
    // local Postgres' 200 connections (channel sockets do not go through the hub); 50 at once did too on
    // 2026-12-02 (subscribe refused: unavailable), so 25
    Math.min(concurrency, GATEWAY_CONNECT_CONCURRENCY),
  );
  const connectTotal = now() - t0;
  const connCpu = connMeter();
  // the same senders as the channel-socket run: channel sockets that also receive
  const sendSocks = await connectAll(
    world.senders.map((a) => () => openSocket(`${wsUrl(t)}/ws/channels/${ch}?token=${a.token}`, null)),
    100,
  );
  await settle(t.serverPids);
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const sent = await sendAt(new Map([[ch, sendSocks]]), { rate, total, channelFor: () => ch });
  await drain(received, sent.ackedBy);
  const cpu = meter();
  const v = verify(received, sent.ackedBy);
  for (const s of [...subs, ...sendSocks]) s.ws.terminate();
  await t.cleanup(world);
  const acked = sent.ackedBy.get(ch)?.length ?? 0;
  const gw = {
    part: "g2",
    target: "moltstack gateway",
    what: `${N} gateway subs @ ${rate} msg/s`,
    acked,
    ackedPerSec: (acked / sent.elapsed) * 1000,
    deliveriesPerSec: latencies.length / (duration + 0.001),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: pct(latencies, 100),
    connectP50: pct(subTimes, 50),
    connectP99: pct(subTimes, 99),
    connectTotal,
    connectServerCpu: connCpu.server,
    ...v,
    errors: sent.errors,
    serverCpu: cpu.server,
    serverCpuSec: cpu.serverSec,
    deliveries: latencies.length,
    generatorCpu: cpu.generator,
    load: la,
  };
  const c = rows[0];
  // the goal's ratio, per run (the table shows the median of the runs' ratios; bench/lib/stats.mjs)
  if (c && c.p99 > 0 && Number.isFinite(gw.p99)) gw.p99VsChannel = gw.p99 / c.p99;
  rows.push(gw);
  return rows;
}
