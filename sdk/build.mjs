// Builds the publishable package into sdk/dist: ESM bundles (the shared protocol module inlined;
// @noble/ed25519 and zod stay peer dependencies; the MCP bridge bin keeps the official MCP SDK as dependencies) and .d.ts files from tsc.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
await build({
  absWorkingDir: here,
  entryPoints: ["src/index.ts", "src/node.ts", "src/mcp-bridge.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["@noble/ed25519", "zod", "node:*", "@modelcontextprotocol/*"],
  sourcemap: true,
  logLevel: "warning",
});
// declarations: the same sources, emitted by tsc (protocol types are inlined by reference)
execFileSync(fileURLToPath(new URL("../node_modules/.bin/tsc", import.meta.url)), ["-p", "tsconfig.build.json"], {
  cwd: here,
  stdio: "inherit",
});
console.log("built sdk/dist");
