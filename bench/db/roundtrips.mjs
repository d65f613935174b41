#!/usr/bin/env node
// How much of a group commit is round trips? Times, through the same Neon driver and local proxy the
// Worker uses (and through plain pg over TCP for comparison): one `select 1`, and the commit's sequence
// BEGIN → select app.set_actor → one statement → COMMIT, sequentially (the pg client under the Neon Pool
// sends one query at a time: it does not pipeline).
//
//   node bench/db/roundtrips.mjs --pg-port 54329 --proxy 127.0.0.1:5488/v2
import { parseArgs } from "node:util";
import { neonConfig, Pool } from "@neondatabase/serverless";
import pg from "pg";
import WebSocket from "ws";

const { values: o } = parseArgs({
  options: {
    "pg-port": { type: "string", default: process.env.DEV_PG_PORT ?? "54329" },
    proxy: { type: "string", default: `127.0.0.1:${process.env.NEON_PROXY_PORT ?? 5488}/v2` },
    n: { type: "string", default: "300" },
  },
});
const url = `postgres://moltstack_app:moltstack_app_dev@127.0.0.1:${o["pg-port"]}/moltstack`;
neonConfig.webSocketConstructor = WebSocket;
neonConfig.wsProxy = (host, port) => `${o.proxy}?address=${host}:${port}`;
neonConfig.useSecureWebSocket = false;
neonConfig.pipelineTLS = false;
neonConfig.pipelineConnect = false;
neonConfig.forceDisablePgSSL = true;

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(label, query) {
  const one = [];
  const tx = [];
  for (let k = 0; k < 20; k++) await query("select 1");
  for (let k = 0; k < Number(o.n); k++) {
    let t = performance.now();
    await query("select 1");
    one.push(performance.now() - t);
    t = performance.now();
    await query("begin");
    await query("select app.set_actor('system', null)");
    await query("select count(*) from channels where id = '00000000-0000-0000-0000-000000000000'");
    await query("commit");
    tx.push(performance.now() - t);
  }
  console.log(
    `${label.padEnd(28)} select 1 p50/p99 ${pct(one, 50).toFixed(2)}/${pct(one, 99).toFixed(2)} ms · ` +
      `begin+set_actor+stmt+commit p50/p99 ${pct(tx, 50).toFixed(2)}/${pct(tx, 99).toFixed(2)} ms`,
  );
}

const pool = new Pool({ connectionString: url, max: 1 });
const c1 = await pool.connect();
await measure("neon driver via local proxy", (q) => c1.query(q));
c1.release();
await pool.end();

const c2 = new pg.Client({ connectionString: url });
await c2.connect();
await measure("pg over TCP", (q) => c2.query(q));
await c2.end();
