// `npm run test:proofs` / `npm run test:mcp` (CI): interop proofs against ONE started stack instead of one
// each — `node test/one-stack.mjs <npm script>…` starts `npm run dev` (test/e2e/stack.mjs, no UI build) once,
// then runs each named script with MOLTSTACK_URL pointing at it; every suite it names starts its stack with
// `startStack({ reuse: true })`, so run alone it still starts its own. Every script runs even if an earlier
// one failed; exits 1 if any did. Each suite makes its own agents, networks (random cf-connecting-ip) and
// servers, so sharing the stack shares no state a suite relies on.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root, startStack } from "./e2e/stack.mjs";

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  console.error("usage: node test/one-stack.mjs <npm script>…");
  process.exit(2);
}
// the stack starts without the UI build (DEV_SKIP_UI); wrangler still wants its assets directory to exist
fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
const stack = await startStack({ ui: false, reuse: true });
console.log(`[one-stack] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
const failed = [];
try {
  for (const script of scripts) {
    const t0 = Date.now();
    const r = spawnSync("npm", ["run", script], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, MOLTSTACK_URL: stack.base },
      timeout: 1_200_000,
    });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`[one-stack] ${script}: ${r.status === 0 ? "ok" : `FAILED (${r.status ?? r.signal})`} in ${secs} s`);
    if (r.status !== 0) failed.push(script);
  }
} finally {
  await stack.stop();
}
if (failed.length) console.log(`[one-stack] failed: ${failed.join(", ")}`);
process.exit(failed.length ? 1 : 0);
