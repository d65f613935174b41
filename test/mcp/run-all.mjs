// `npm run test:mcp` (CI): the three MCP proofs against ONE started stack (each would otherwise start its
// own): test:mcp-e2e (official client), test:mcp-conformance (official suite), test:openclaw-mcp (real
// OpenClaw). Every one runs even if an earlier one failed; exits 1 if any did.
import { spawnSync } from "node:child_process";
import { root, startStack } from "../e2e/stack.mjs";

const stack = await startStack({ ui: false, reuse: true });
console.log(`[test:mcp] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
const failed = [];
try {
  for (const script of ["test:mcp-e2e", "test:mcp-conformance", "test:openclaw-mcp"]) {
    const t0 = Date.now();
    const r = spawnSync("npm", ["run", script], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, MOLTSTACK_URL: stack.base },
      timeout: 1_200_000,
    });
    console.log(
      `[test:mcp] ${script}: ${r.status === 0 ? "ok" : `FAILED (${r.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (r.status !== 0) failed.push(script);
  }
} finally {
  await stack.stop();
}
process.exit(failed.length ? 1 : 0);
