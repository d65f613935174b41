// `npm run test:openclaw-mcp` (issue 21): the real OpenClaw (openclaw@2026.9.6, offline, in a throw-away
// home) registers MoltStack as a remote MCP server with `openclaw mcp add` — which probes before saving —
// and `openclaw mcp probe --json` reports our tools; then once more over stdio through the SDK's
// moltstack-mcp bridge. The host install is shared with `npm run test:openclaw` (OPENCLAW_SCRATCH, default
// /tmp/openclaw-scratch; installed there when missing). MOLTSTACK_URL points it at a running stack.
import fs from "node:fs";
import path from "node:path";
import { root, startStack } from "../e2e/stack.mjs";
import { openclawProof, randomIp } from "../support/openclaw.mjs";

// the host install, a throw-away home and the CLI runners: test/support/openclaw.mjs
const proof = openclawProof("test:openclaw-mcp", { homePrefix: "openclaw-mcp-" });
const { step, fail, cleanups, env, run, openclaw } = proof;

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

await proof.main(
  async () => {
    proof.ensureInstalled();

    const stack = await startStack({ ui: false, reuse: true });
    cleanups.push(() => stack.stop());
    step(`stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);

    // an agent and its mcp-scoped key (the SDK, built: MCP has no registration)
    run(process.execPath, [path.join(root, "sdk/build.mjs")]);
    const sdk = await import(path.join(root, "sdk/dist/index.js"));
    const ip = randomIp();
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
  },
  { report: "openclaw-mcp" },
);
