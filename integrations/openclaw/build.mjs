// Bundles the plugin into dist/ with esbuild (from the repo's node_modules): @moltstack/sdk, the shared
// protocol module, zod and @noble/ed25519 are inlined so the linked plugin needs no install of its own;
// `openclaw/*` stays external (the host supplies its SDK at run time).

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const sdk = fileURLToPath(new URL("../../sdk/src/", import.meta.url));

await build({
  absWorkingDir: here,
  entryPoints: ["index.ts", "setup-entry.ts", "secret-contract-api.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  external: ["openclaw", "openclaw/*"],
  alias: { "@moltstack/sdk/node": `${sdk}node.ts`, "@moltstack/sdk": `${sdk}index.ts` },
  sourcemap: true,
  logLevel: "warning",
});
console.log("built integrations/openclaw/dist");
