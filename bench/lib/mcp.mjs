// Part m (issue 21): MCP `wait_for_messages` delivery latency beside the socket figure, in the same run and
// the same channel. N agents long-poll through POST /mcp (raw JSON-RPC tools/call, stateless 2025-11-25 wire:
// what any MCP client sends per call) and N other agents hold channel sockets; socket senders post at `rate`
// msg/s for `duration` s. Latency = the sender's send time (in the content) → the waiter's tool result (or
// the socket frame). Lost / reordered / duplicates are checked against the acked seqs for both groups.
import { performance } from "node:perf_hooks";
import { connectAll, openSocket } from "../fanout/sockets.mjs";
import { cpuMeter, loadavg } from "./proc.mjs";
import { PER_SENDER, pct, sender, verify } from "./scenarios.mjs";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The JSON-RPC message of a /mcp answer: a JSON body, or the `data:` line of a buffered event stream. */
function rpcOf(text) {
  const data = text.startsWith("{") ? text : (text.match(/^data: (.*)$/m)?.[1] ?? "");
  return data ? JSON.parse(data) : null;
}

export async function mcpLongPoll(t, { N = 100, rate = 10, duration = 10, concurrency = 200, timeoutS = 25 } = {}) {
  const total = Math.round(rate * duration);
  const senderCount = Math.max(4, Math.ceil(total / PER_SENDER));
  const world = await t.mint(N * 2, senderCount);
  const ch = world.channelId;
  const waiters = world.subscribers.slice(0, N);
  const socketSubs = world.subscribers.slice(N);
  const base = `${t.url.replace(/^http/, "ws")}/ws/channels/${ch}`;

  // the socket figure: N channel sockets on the same channel
  const sockRecv = Array.from({ length: N }, () => []);
  const sockLat = [];
  const subs = await connectAll(
    socketSubs.map(
      (a, i) => () =>
        openSocket(`${base}?token=${a.token}`, (f) => {
          if (f.op !== "message") return;
          sockRecv[i].push(f.seq);
          const sent = Number(f.content.split(" ")[1]);
          if (Number.isFinite(sent)) sockLat.push(now() - sent);
        }),
    ),
    concurrency,
  );

  // the MCP figure: N long-poll loops
  const mcpRecv = Array.from({ length: N }, () => []);
  const mcpLat = [];
  const errors = {};
  let requests = 0;
  let stop = false;
  const aborts = [];
  const loop = async (a, i) => {
    let after = 0;
    let id = 0;
    while (!stop) {
      const ac = new AbortController();
      aborts[i] = ac;
      try {
        const r = await fetch(`${t.url}/mcp`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${a.token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
            "cf-connecting-ip": `10.78.${(i >> 8) & 255}.${i & 255}`,
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: ++id,
            method: "tools/call",
            params: {
              name: "wait_for_messages",
              arguments: { channels: [ch], after_seq: { [ch]: after }, timeout_s: timeoutS },
            },
          }),
          signal: ac.signal,
        });
        const at = now();
        requests++;
        const msg = rpcOf(await r.text());
        const out = msg?.result?.structuredContent;
        if (!out) {
          const k = msg?.result?.isError ? "tool_error" : `http_${r.status}`;
          errors[k] = (errors[k] ?? 0) + 1;
          await sleep(200);
          continue;
        }
        for (const c of out.channels) {
          for (const m of c.messages) {
            mcpRecv[i].push(m.seq);
            const sent = Number(m.content.split(" ")[1]);
            if (Number.isFinite(sent)) mcpLat.push(at - sent);
          }
          after = c.next_after_seq;
        }
      } catch {
        if (stop) return;
        errors.fetch_failed = (errors.fetch_failed ?? 0) + 1;
        await sleep(200);
      }
    }
  };
  const loops = waiters.map((a, i) => loop(a, i));
  await sleep(1500); // every waiter is parked in its first wait

  const sendSocks = await connectAll(
    world.senders.map((a) => () => openSocket(`${base}?token=${a.token}&receive=none`, null)),
    100,
  );
  const acked = [];
  const sendErrors = {};
  const sendOne = sender(acked, sendErrors);
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const tSend = now();
  const jobs = [];
  for (let k = 0; k < total; k++) {
    const wait = tSend + (k * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    jobs.push(sendOne(sendSocks[k % sendSocks.length]));
  }
  await Promise.all(jobs);
  // drain: both groups hold every acked message, or 15 s
  const deadline = now() + 15_000;
  while (now() < deadline) {
    const done = (recv) => recv.every((r) => r.length >= acked.length);
    if (done(mcpRecv) && done(sockRecv)) break;
    await sleep(50);
  }
  const cpu = meter();
  stop = true;
  for (const ac of aborts) ac?.abort();
  await Promise.allSettled(loops);
  for (const s of [...subs, ...sendSocks]) s.ws.terminate();
  await t.cleanup(world);
  const common = { acked: acked.length, load: la, serverCpu: cpu.server, generatorCpu: cpu.generator };
  const mcpP99 = pct(mcpLat, 99);
  const sockP99 = pct(sockLat, 99);
  return [
    {
      part: "m",
      target: "moltstack MCP",
      what: `${N} wait_for_messages long polls @ ${rate} msg/s`,
      ...common,
      p50: pct(mcpLat, 50),
      p99: mcpP99,
      // the goal's ratio, per run (the table shows the median of the runs' ratios)
      p99VsSockets: sockP99 > 0 ? mcpP99 / sockP99 : Number.NaN,
      max: pct(mcpLat, 100),
      deliveries: mcpLat.length,
      mcpRequests: requests,
      ...verify(mcpRecv, N, acked),
      errors: { ...errors, ...sendErrors },
    },
    {
      part: "m",
      target: "moltstack sockets",
      what: `${N} channel sockets, same channel and run`,
      ...common,
      p50: pct(sockLat, 50),
      p99: sockP99,
      max: pct(sockLat, 100),
      deliveries: sockLat.length,
      ...verify(sockRecv, N, acked),
      errors: {},
    },
  ];
}
