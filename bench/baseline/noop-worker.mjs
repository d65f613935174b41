#!/usr/bin/env node
// The runtime floor for the bench suite (issue 9): a Worker that answers every request with a 2-byte
// body, run in the same workerd build through Miniflare exactly as `npm run dev` runs MoltStack
// (scripts/workerd.mjs), so "what does any request cost in workerd on this machine" sits beside
// MoltStack's and the Node baseline's figures.
//
//   node bench/baseline/noop-worker.mjs --port 8798
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

const { values: o } = parseArgs({ options: { port: { type: "string", default: "8798" } } });
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: Number(o.port),
    cf: false,
    log: new Log(LogLevel.WARN),
    logRequests: false,
    workers: [
      {
        name: "noop",
        modules: true,
        compatibilityDate: "2026-08-01",
        script: "export default { fetch() { return new Response('ok') } }",
      },
    ],
  }),
);
console.log(`noop worker on ${await mf.ready}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
