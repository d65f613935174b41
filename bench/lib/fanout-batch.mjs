// Issue 25: part c with subscribers that negotiate batch frames (`?frames=batch`, docs/REALTIME.md "Batch
// frames"), beside the plain part c (the spec's wire, the headline comparable with the baseline). Two uses:
//   - from bench/run.mjs: `rows.push(...(await fanoutBatch(t, { N, rate: 20, concurrency })))` — part
//     `c-batch` (and `c40-batch` with rate 40), same generator, same checks (lost / reordered / dup);
//   - standalone against a running stack, plain and batched back to back, with server CPU µs per delivery:
//       PORT=8787 DEV_PG_PORT=54329 node bench/lib/fanout-batch.mjs [--rates 20,40] [--subs 1000] [--plain] [--concurrency 200]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanup, mintWorld, readSecret } from "../fanout/world.mjs";
import { devStack } from "./proc.mjs";
import { fanout } from "./scenarios.mjs";

/** Part c (N subscribers at `rate` msg/s for `duration` s) with batch frames; rows named `c-batch` / `c40-batch`. */
export async function fanoutBatch(t, { N = 1000, rate = 20, duration = 10, concurrency = 200 } = {}) {
  const part = rate === 20 ? "c-batch" : `c${rate}-batch`;
  return fanout(t, { part, N, mode: "rate", rate, duration, concurrency, frames: "batch" });
}

/** µs of server CPU per delivered message (server CPU seconds ÷ deliveries). */
export const cpuPerDelivery = (row) => (row.deliveries ? (row.serverCpuSec * 1e6) / row.deliveries : Number.NaN);

async function main() {
  const { values: o } = parseArgs({
    options: {
      rates: { type: "string", default: "20" },
      subs: { type: "string", default: "1000" },
      duration: { type: "string", default: "10" },
      concurrency: { type: "string", default: "200" }, // sockets connecting at once
      plain: { type: "boolean", default: false }, // also run the plain variant first, for the same-run ratio
      url: { type: "string", default: `http://127.0.0.1:${process.env.PORT ?? 8787}` },
      db: {
        type: "string",
        default: `postgres://postgres:postgres@127.0.0.1:${process.env.DEV_PG_PORT ?? 54329}/moltstack`,
      },
    },
  });
  const secret = process.env.JWT_SECRET ?? readSecret(); // .dev.vars of the working directory (the repo root)
  const port = new URL(o.url).port || "80";
  const t = {
    name: "moltstack",
    url: o.url,
    mint: (subs, senders) => mintWorld(o.db, secret, { subscribers: subs, senders }),
    cleanup: (world) => cleanup(o.db, world),
    serverPids: () => devStack(port)?.pids ?? [],
    rssPids: () => devStack(port)?.workerd ?? [],
  };
  const N = Number(o.subs);
  for (const rate of o.rates.split(",").map(Number)) {
    const variants = o.plain ? ["plain", "batch"] : ["batch"];
    for (const frames of variants) {
      const [row] = await fanout(t, {
        part: `c${rate}`,
        N,
        mode: "rate",
        rate,
        duration: Number(o.duration),
        concurrency: Number(o.concurrency),
        frames,
      });
      const { p50, p99, acked, deliveries, serverCpuSec, batchFrames, lost, reordered, dupes, load } = row;
      console.log(
        JSON.stringify({
          rate,
          frames,
          acked,
          deliveries,
          batchFrames,
          p50: Math.round(p50),
          p99: Math.round(p99),
          lost,
          reordered,
          dupes,
          serverCpuSec,
          cpuUsPerDelivery: Number(cpuPerDelivery(row).toFixed(1)),
          load,
        }),
      );
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
