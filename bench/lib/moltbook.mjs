// Part mb (issue 25, "the new doors"): the Moltbook layer's reads under concurrent load, beside the plain
// REST read and the plain channel socket of the same run. MoltStack only (the baseline has no Moltbook).
//
// World: the suite's agents, server and plain channel (bench/fanout/world.mjs), plus, minted the same way
// directly in Postgres through the owner URL: a submolt (a forum channel `posts` of the world's server,
// registered in moltbook_submolts) and scoped API keys (`ms_sk_` + 32 random bytes, stored as SHA-256 hex
// in api_keys with scopes read, write, moltbook — what POST /api/v1/agents/@me/keys mints). Then `posters`
// agents each publish ONE post through the Moltbook API (POST /moltbook/api/v1/posts: the real write path,
// a forum thread through the channel object) and each comment once on another's post; their text draws on
// a small vocabulary so every search below finds hits.
//
// Load: while publisher sockets post `postRate` msg/s into the plain channel (received by `subscribers`
// channel sockets: the plain channel-socket figure), four doors are read one after the other, each by
// `clients` concurrent clients sending `rate` requests/s each (open loop: every request starts on its
// schedule, answered or not; default 50 × 0.4 = 20 req/s) for `seconds` s after one unmeasured request each:
//   history  GET /api/v1/channels/:id/messages?limit=50 (JWT)   — the plain REST read (part f's page)
//   feed     GET /moltbook/api/v1/feed                        — Moltbook's default: hot, 25 posts
//   search   GET /moltbook/api/v1/search?q=<word>&type=all&limit=20 — posts, comments, agents, submolts
//   native   GET /api/v1/search?q=<word>&type=messages&limit=20 (JWT) — MoltStack's message search
// Every door has its own `clients` agents (one per client), so no agent spends more than
// `requestsPerAgent` of its per-minute budget (100/min: RATE.api and MOLTBOOK_RATE.requests, production
// profile); a 429 is counted as an error, never measured. Server CPU per request: the stack's CPU over
// the phase minus the background's CPU rate (measured alone first) × the phase's length, ÷ requests.
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { connectAll, openSocket } from "../fanout/sockets.mjs";
import { newKey } from "./keys.mjs";
import { requestsPerAgent } from "./pace.mjs";
import { cpuMeter, loadavg } from "./proc.mjs";
import { PER_SENDER, pct, sender, verify } from "./scenarios.mjs";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Words every post and comment draws on; each search asks for one of them. */
export const WORDS = [
  "lobster",
  "reef",
  "kelp",
  "tide",
  "current",
  "shell",
  "molting",
  "claw",
  "plankton",
  "coral",
  "harbor",
  "anchor",
];
const text = (seed, n) => Array.from({ length: n }, (_, k) => WORDS[(seed * 7 + k * 5) % WORDS.length]).join(" ");

/** Submolt (forum channel of the world's server) + moltbook-scoped keys for `agentIds`, in Postgres. */
async function mintMoltbook(ownerUrl, world, agentIds) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const name = `bench_${crypto.randomBytes(4).toString("hex")}`;
    const {
      rows: [forum],
    } = await client.query(
      "insert into channels (server_id, name, type, position) values ($1, 'posts', 'forum', 99) returning id",
      [world.serverId],
    );
    await client.query(
      `insert into moltbook_submolts (name, server_id, forum_id, display_name, description, created_by)
       values ($1, $2, $3, $1, 'bench submolt', $4)`,
      [name, world.serverId, forum.id, world.agentIds[0]],
    );
    const keys = agentIds.map(() => newKey());
    await client.query(
      `insert into api_keys (agent_id, name, key_hash, prefix, scopes)
       select a, 'bench moltbook', h, p, array['read', 'write', 'moltbook']
       from unnest($1::uuid[], $2::text[], $3::text[]) as t(a, h, p)`,
      [agentIds, keys.map((k) => k.hash), keys.map((k) => k.prefix)],
    );
    return { submolt: name, forumId: forum.id, keys: new Map(agentIds.map((id, i) => [id, keys[i].secret])) };
  } finally {
    await client.end();
  }
}

/** One JSON request; resolves { status, body, ms }. */
async function call(url, { method = "GET", bearer, body, ip }) {
  const t0 = performance.now();
  try {
    const r = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        "cf-connecting-ip": ip,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const json = await r.json().catch(() => null);
    return { status: r.status, body: json, ms: performance.now() - t0 };
  } catch (e) {
    return { status: e?.name === "TimeoutError" ? "timeout" : "fetch_failed", body: null, ms: performance.now() - t0 };
  }
}

const bump = (errors, k) => {
  errors[k] = (errors[k] ?? 0) + 1;
};

/**
 * One door read by `clients` clients at `rate` req/s each for `seconds` s (open loop), after one
 * unmeasured request per client. `request(client, k)` → { url, bearer }; `check(body)` names what is
 * wrong with a 200 answer (or null).
 */
async function phase(t, { clients, rate, seconds, request, check, ipBase, bgCpuPerSec }) {
  const errors = {};
  const times = [];
  const one = async (i, k, measured) => {
    const { url, bearer } = request(i, k);
    const r = await call(url, { bearer, ip: `10.79.${ipBase + (i >> 8)}.${i & 255}` });
    if (r.status !== 200) bump(errors, `http_${r.status}`);
    else {
      const bad = check(r.body);
      if (bad) bump(errors, bad);
    }
    if (measured) times.push(r.ms);
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => one(i, -1, false)));
  const la = loadavg();
  const meter = cpuMeter(t.serverPids);
  const t0 = now();
  const perClient = Math.round(rate * seconds);
  // open loop: every request starts on its schedule, whether or not its client's previous one has been
  // answered (a slow server gets the same offered load, and its queueing shows in the latencies instead
  // of being hidden by clients that wait); clients are staggered evenly over one period
  const inflight = [];
  let last = t0;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const start = t0 + (i / clients) * (1000 / rate);
      for (let k = 0; k < perClient; k++) {
        const wait = start + (k * 1000) / rate - now();
        if (wait > 1) await sleep(wait);
        inflight.push(
          one(i, k, true).then(() => {
            last = now();
          }),
        );
      }
    }),
  );
  await Promise.all(inflight);
  const elapsed = (last - t0) / 1000;
  const cpu = meter();
  const own = cpu.serverSec - bgCpuPerSec * cpu.windowS;
  return {
    p50: pct(times, 50),
    p99: pct(times, 99),
    max: pct(times, 100),
    requests: times.length,
    reqPerSec: times.length / elapsed,
    errors,
    serverCpu: cpu.server,
    serverCpuSec: cpu.serverSec,
    // the stack's CPU over the phase less the background posting's, per request
    cpuUsPerRequest: Number.isFinite(own) && times.length ? (Math.max(0, own) / times.length) * 1e6 : Number.NaN,
    generatorCpu: cpu.generator,
    load: la,
  };
}

export async function moltbookDoors(
  t,
  {
    db,
    clients = 50,
    rate = 0.4,
    seconds = 10,
    subscribers = 100,
    postRate = 10,
    posters = 30,
    concurrency = 200,
  } = {},
) {
  const warmup = 1;
  requestsPerAgent({ rate, seconds, warmup }); // throws if one agent per client would meet a 429
  const doors = ["history", "feed", "search", "native"];
  const bgSeconds = 5;
  // background posting covers the CPU window and the four phases (each: warm-up request + `seconds`)
  const bgTotal = Math.ceil(postRate * (bgSeconds + doors.length * (seconds + 2)));
  const bgSenders = Math.max(4, Math.ceil(bgTotal / PER_SENDER));
  const world = await t.mint(subscribers + doors.length * clients, bgSenders + posters);
  const socketSubs = world.subscribers.slice(0, subscribers);
  const readers = Object.fromEntries(
    doors.map((d, j) => [d, world.subscribers.slice(subscribers + j * clients, subscribers + (j + 1) * clients)]),
  );
  const bg = world.senders.slice(0, bgSenders);
  const posting = world.senders.slice(bgSenders);
  const mb = await mintMoltbook(
    db,
    world,
    [...readers.feed, ...readers.search, ...posting].map((a) => a.id),
  );
  const keyOf = (a) => mb.keys.get(a.id);
  const api = `${t.url}/moltbook/api/v1`;
  const setupErrors = {};
  const socks = [];
  try {
    // posts and comments through the Moltbook API (one post and one comment per poster: Moltbook's
    // published limits allow no more to a new agent)
    const postIds = [];
    await connectAll(
      posting.map((a, i) => async () => {
        const r = await call(`${api}/posts`, {
          method: "POST",
          bearer: keyOf(a),
          ip: `10.79.250.${i & 255}`,
          body: { submolt: mb.submolt, title: `bench ${text(i, 3)}`, content: text(i, 24) },
        });
        if (r.status === 201 && r.body?.post?.id) postIds.push(r.body.post.id);
        else bump(setupErrors, `post_http_${r.status}`);
      }),
      10,
    );
    if (!postIds.length) throw new Error(`no post created: ${JSON.stringify(setupErrors)}`);
    await connectAll(
      posting.map((a, i) => async () => {
        const r = await call(`${api}/posts/${postIds[(i + 1) % postIds.length]}/comments`, {
          method: "POST",
          bearer: keyOf(a),
          ip: `10.79.251.${i & 255}`,
          body: { content: text(i + 3, 16) },
        });
        if (r.status !== 201) bump(setupErrors, `comment_http_${r.status}`);
      }),
      10,
    );

    // the plain channel: subscriber sockets (the socket figure) and publisher sockets posting in the background
    const base = `${t.url.replace(/^http/, "ws")}/ws/channels/${world.channelId}`;
    const sockRecv = Array.from({ length: subscribers }, () => []);
    const sockLat = [];
    socks.push(
      ...(await connectAll(
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
      )),
    );
    const pubs = await connectAll(
      bg.map((a) => () => openSocket(`${base}?token=${a.token}&receive=none`, null)),
      100,
    );
    socks.push(...pubs);
    const acked = [];
    const sendErrors = {};
    const sendOne = sender(acked, sendErrors);
    let stop = false;
    const jobs = [];
    const tBg = now();
    const background = (async () => {
      for (let k = 0; k < bgTotal && !stop; k++) {
        const wait = tBg + (k * 1000) / postRate - now();
        if (wait > 1) await sleep(wait);
        jobs.push(sendOne(pubs[k % pubs.length]));
      }
    })();
    // the background's own CPU rate (subtracted from each phase's CPU)
    const bgMeter = cpuMeter(t.serverPids);
    await sleep(bgSeconds * 1000);
    const bgCpu = bgMeter();
    const bgCpuPerSec = Number.isFinite(bgCpu.serverSec) ? bgCpu.serverSec / bgCpu.windowS : Number.NaN;

    const word = (i, k) => WORDS[(i + k + 12) % WORDS.length];
    const jwt = (d) => (i) => readers[d][i].token;
    const spec = {
      history: {
        target: "moltstack REST history",
        what: "GET /api/v1/channels/:id/messages?limit=50",
        request: (i) => ({
          url: `${t.url}/api/v1/channels/${world.channelId}/messages?limit=50`,
          bearer: jwt("history")(i),
        }),
        check: (b) => (Array.isArray(b?.messages) ? null : "bad_body"),
      },
      feed: {
        target: "moltstack Moltbook /feed",
        what: "GET /moltbook/api/v1/feed (hot, 25)",
        request: (i) => ({ url: `${api}/feed`, bearer: keyOf(readers.feed[i]) }),
        check: (b) => (b?.success !== true ? "bad_body" : b.posts?.length ? null : "empty_feed"),
      },
      search: {
        target: "moltstack Moltbook /search",
        what: "GET /moltbook/api/v1/search?q=<word>&type=all&limit=20",
        request: (i, k) => ({
          url: `${api}/search?q=${word(i, k)}&type=all&limit=20`,
          bearer: keyOf(readers.search[i]),
        }),
        check: (b) => (b?.success !== true ? "bad_body" : b.results?.length ? null : "no_results"),
      },
      native: {
        target: "moltstack /api/v1/search messages",
        what: "GET /api/v1/search?q=<word>&type=messages&limit=20",
        request: (i, k) => ({
          url: `${t.url}/api/v1/search?q=${word(i, k)}&type=messages&limit=20`,
          bearer: jwt("native")(i),
        }),
        check: (b) => (Array.isArray(b?.items) ? (b.items.length ? null : "no_results") : "bad_body"),
      },
    };
    const rows = [];
    for (const [j, d] of doors.entries()) {
      const s = spec[d];
      const got = await phase(t, {
        clients,
        rate,
        seconds,
        request: s.request,
        check: s.check,
        ipBase: j * 4,
        bgCpuPerSec,
      });
      rows.push({
        part: "mb",
        target: s.target,
        what: `${s.what}: ${clients} clients × ${rate} req/s, ${seconds} s, during ${postRate} msg/s`,
        ...got,
      });
    }
    stop = true;
    await background;
    await Promise.all(jobs);
    const deadline = now() + 15_000;
    while (now() < deadline && !sockRecv.every((r) => r.length >= acked.length)) await sleep(50);
    const history = rows[0];
    for (const r of rows.slice(1))
      r.p99VsHistory = history.p99 > 0 && Number.isFinite(r.p99) ? r.p99 / history.p99 : Number.NaN;
    rows.push({
      part: "mb",
      target: "moltstack sockets",
      what: `${subscribers} channel sockets, ${postRate} msg/s during the reads (same run)`,
      acked: acked.length,
      p50: pct(sockLat, 50),
      p99: pct(sockLat, 99),
      max: pct(sockLat, 100),
      deliveries: sockLat.length,
      ...verify(sockRecv, subscribers, acked),
      errors: { ...sendErrors, ...setupErrors },
      load: history.load,
    });
    return rows;
  } finally {
    for (const s of socks) s.ws.terminate();
    await t.cleanup(world);
  }
}
