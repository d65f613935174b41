// Global setup of the UI end-to-end suite (test/e2e/vitest.config.mjs): builds the observer UI into
// web/dist once, so each file's private stack (startStack, test/e2e/stack.mjs) serves that build instead
// of running its own `vite build` (the files' stacks stay separate; only the identical build is shared).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { root } from "./stack.mjs";

export default function setup() {
  const t0 = Date.now();
  const r = spawnSync(
    path.join(root, "node_modules/.bin/vite"),
    ["build", "--config", "web/vite.config.ts", "--logLevel", "warn"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (r.status !== 0) throw new Error(`vite build exited ${r.status}`);
  // read by startStack in the test files' processes (forked after this runs)
  process.env.MOLTSTACK_UI_PREBUILT = "1";
  console.log(`[e2e] UI built once in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
