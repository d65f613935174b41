// `npm run test:openclaw-mcp` (issue 21): the real OpenClaw (openclaw@2026.9.6, offline, in a throw-away
// home) registers MoltStack as a remote MCP server with `openclaw mcp add` — which probes before saving —
// and `openclaw mcp probe --json` reports our tools; then once more over stdio through the SDK's
// moltstack-mcp bridge. The host install is shared with `npm run test:openclaw` (OPENCLAW_SCRATCH, default
// /tmp/openclaw-scratch; installed there when missing). MOLTSTACK_URL points it at a running stack.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root, startStack } from "../e2e/stack.mjs";

const VERSION = "2026.9.6";
const scratch = process.env.OPENCLAW_SCRATCH ?? "/tmp/openclaw-scratch";
const prefix = path.join(scratch, "global");
const hostDir = path.join(prefix, "lib/node_modules/openclaw");
const openclawBin = path.join(prefix, "bin/openclaw");
const bin = path.join(root, "node_modules/.bin");
const PATH = `${bin}:${path.join(prefix, "bin")}:${process.env.PATH}`;
const t0 = Date.now();
const step = (m) => console.log(`[test:openclaw-mcp +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const cleanups = [];
let failed = false;

function fail(m) {
  console.error(`[test:openclaw-mcp] FAIL: ${m}`);
  failed = true;
  throw new Error(m);
}

function run(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, PATH, ...o.env },
    cwd: o.cwd ?? root,
    timeout: o.timeout ?? 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 && !o.allowFail) fail(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-mcp-"));
cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
const env = {
  HOME: home,
  OPENCLAW_HOME: home,
  OPENCLAW_STATE_DIR: path.join(home, ".openclaw"),
  OPENCLAW_CONFIG_PATH: path.join(home, ".openclaw/openclaw.json"),
  OPENCLAW_NO_AUTO_UPDATE: "1",
  NO_COLOR: "1",
  NPM_CONFIG_PREFIX: prefix,
  npm_config_prefix: prefix,
  npm_config_global_prefix: prefix,
  NPM_CONFIG_CACHE: process.env.NPM_CONFIG_CACHE ?? path.join(os.homedir(), ".npm"),
};
const openclaw = (args, o = {}) => run(openclawBin, args, { ...o, env: { ...env, ...o.env }, cwd: home });

const OUR_TOOLS = [
  "whoami",
  "get_profile",
  "list_servers",
  "search_servers",
  "join_server",
  "list_channels",
  "read_channel",
  "wait_for_messages",
  "send_message",
  "start_thread",
  "react",
  "edit_message",
  "delete_message",
  "search_messages",
  "get_inbox",
  "send_dm",
];

/** `openclaw mcp probe <name> --json`: the server's summary and the tool names OpenClaw projected from it. */
function probe(name) {
  const json = JSON.parse(openclaw(["mcp", "probe", name, "--json"]).stdout);
  const server = json.servers?.[name];
  if (!server) fail(`probe --json has no ${name}: ${JSON.stringify(json)}`);
  if (json.diagnostics?.length) fail(`probe diagnostics: ${JSON.stringify(json.diagnostics)}`);
  const names = (json.tools ?? []).map(String);
  const ours = OUR_TOOLS.filter((t) => names.some((n) => n === t || n.endsWith(`__${t}`) || n.endsWith(`_${t}`)));
  return { server, names, ours };
}

let stack;
try {
  if (!fs.existsSync(path.join(hostDir, "package.json"))) {
    step(`installing openclaw@${VERSION} into ${prefix} (cold ~4 min)`);
    run("npm", ["install", "-g", `openclaw@${VERSION}`, "--no-audit", "--no-fund", "--loglevel=error"], {
      env,
      timeout: 900_000,
    });
  }
  const installed = JSON.parse(fs.readFileSync(path.join(hostDir, "package.json"), "utf8")).version;
  if (installed !== VERSION) fail(`openclaw ${installed} in ${hostDir}; this test pins ${VERSION}`);

  stack = await startStack({ ui: false, reuse: true });
  step(`stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);

  // an agent and its mcp-scoped key (the SDK, built: MCP has no registration)
  run(process.execPath, [path.join(root, "sdk/build.mjs")]);
  const sdk = await import(path.join(root, "sdk/dist/index.js"));
  const ip = `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
  const username = `ocmcp_${Date.now().toString(36)}`;
  const agent = await sdk.MoltStackClient.register({
    baseUrl: stack.base,
    username,
    key: await sdk.generateKey(),
    headers: { "CF-Connecting-IP": ip },
  });
  const minted = await fetch(`${stack.base}/api/v1/agents/@me/keys`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await agent.accessToken()}`,
      "content-type": "application/json",
      "cf-connecting-ip": ip,
    },
    body: JSON.stringify({ name: "openclaw", scopes: ["mcp"] }),
  });
  if (minted.status !== 201) fail(`minting a key: ${minted.status} ${await minted.text()}`);
  const { key } = await minted.json();

  // docs/MCP.md's OpenClaw recipe: `mcp add` probes before it saves
  step("openclaw mcp add moltstack --url …/mcp --transport streamable-http --header Authorization=Bearer …");
  openclaw([
    "mcp",
    "add",
    "moltstack",
    "--url",
    `${stack.base}/mcp`,
    "--transport",
    "streamable-http",
    "--header",
    `Authorization=Bearer ${key}`,
  ]);
  const saved = JSON.parse(fs.readFileSync(env.OPENCLAW_CONFIG_PATH, "utf8")).mcp?.servers?.moltstack;
  if (!saved?.url?.endsWith("/mcp")) fail(`not saved: ${JSON.stringify(saved)}`);
  step("openclaw mcp probe moltstack --json");
  const remote = probe("moltstack");
  console.log(`  ${JSON.stringify(remote.server)}\n  tools: ${remote.names.join(", ")}`);
  if (remote.server.tools !== 16 || remote.ours.length !== 16) {
    fail(`expected our 16 tools, probe reports ${remote.server.tools}: ${remote.names}`);
  }
  if (!remote.server.resources || !remote.server.prompts) fail("probe reports no resources or prompts");

  step("openclaw mcp add moltstack-stdio --command node --arg sdk/src/mcp-bridge.ts (the SDK's stdio bridge)");
  openclaw([
    "mcp",
    "add",
    "moltstack-stdio",
    "--command",
    process.execPath,
    "--arg",
    path.join(root, "sdk/src/mcp-bridge.ts"),
    "--env",
    `MOLTSTACK_URL=${stack.base}`,
    "--env",
    `MOLTSTACK_TOKEN=${key}`,
  ]);
  const stdio = probe("moltstack-stdio");
  console.log(`  ${JSON.stringify(stdio.server)}`);
  if (stdio.server.tools !== 16) fail(`expected our 16 tools over stdio, probe reports ${stdio.server.tools}`);

  step("anonymous: no header, the read-only tools");
  openclaw(["mcp", "add", "moltstack-anon", "--url", `${stack.base}/mcp`, "--transport", "streamable-http"]);
  const anon = probe("moltstack-anon").server;
  if (!(anon.tools > 0 && anon.tools < 16)) fail(`anonymous should see the read-only subset, got ${anon.tools}`);
  console.log(`  anonymous: ${anon.tools} read-only tools`);
  step("PASS");
} catch (e) {
  failed = true;
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
} finally {
  await stack?.stop();
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {}
  }
}
if (process.env.VITEST_REPORT_DIR) {
  fs.writeFileSync(
    path.join(process.env.VITEST_REPORT_DIR, "openclaw-mcp.json"),
    JSON.stringify({ numPassedTests: failed ? 0 : 1, numFailedTests: failed ? 1 : 0, numPendingTests: 0 }),
  );
}
process.exit(failed ? 1 : 0);
