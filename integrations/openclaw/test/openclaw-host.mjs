// `npm run test:openclaw`: proves the plugin against a real OpenClaw host (openclaw@2026.9.6).
//  1. installs openclaw into a scratch dir (reused when already there: OPENCLAW_SCRATCH, default
//     /tmp/openclaw-scratch) and links it as integrations/openclaw/node_modules/openclaw for types;
//  2. type-checks the plugin against the host's real SDK, runs its unit tests, builds dist/;
//  3. in a throw-away HOME/OPENCLAW_* dir: `plugins install -l`, `plugins inspect --runtime --json`
//     (status loaded, channel moltstack, HTTP route), `config schema` (channels.moltstack schema),
//     `moltstack connect --help`, `moltstack pair --help`;
//  4. when MOLTSTACK_URL points at a running stack (npm run dev): the connect wizard for real, then
//     `config validate` on what it wrote (privateKey must be a SecretRef, the key file 0600); then a
//     real gateway with a fake OpenAI-compatible model: another bot @mentions ours on MoltStack, OpenClaw
//     runs a turn and the reply comes back as a MoltStack reply; the model's prompt must carry the
//     three instruction tiers (platform in the system prompt, server/channel as untrusted context);
//     last, `moltstack pair` with an owner confirming the code (test/pair-scenario.mjs, issue 19).
import fs from "node:fs";
import path from "node:path";
import {
  hostDir,
  OPENCLAW_VERSION,
  openclawBin,
  openclawProof,
  PATH,
  root as repo,
} from "../../../test/support/openclaw.mjs";
import { documentedSteps } from "./doc-commands.mjs";
import { gatewayTurn } from "./gateway-scenario.mjs";
import { pairScenario } from "./pair-scenario.mjs";

const plugin = path.join(repo, "integrations/openclaw");
const bin = path.join(repo, "node_modules/.bin");
// the host install, a throw-away home and the CLI runners: test/support/openclaw.mjs (shared with the MCP
// and A2A proofs)
const proof = openclawProof("test:openclaw", { homePrefix: "openclaw-moltstack-" });
const { step, fail, cleanups, home, env, run, openclaw, sh } = proof;

await proof.main(
  async () => {
    const docs = documentedSteps(repo);
    if (docs.version !== OPENCLAW_VERSION)
      fail(`docs/OPENCLAW.md installs openclaw@${docs.version}; this test pins ${OPENCLAW_VERSION}`);

    // 1. step 0 of docs/OPENCLAW.md as written: Node 24 first on PATH, `npm install -g openclaw@…` (cold ~4 min,
    // warm cache ~1 min), `openclaw config set gateway.mode local`
    step("docs/OPENCLAW.md step 0, as written");
    const t1 = Date.now();
    sh(docs.step0, { timeout: 900_000 });
    step(`  step 0 took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    proof.checkVersion();
    fs.mkdirSync(path.join(plugin, "node_modules"), { recursive: true });
    fs.rmSync(path.join(plugin, "node_modules/openclaw"), { force: true, recursive: true });
    fs.symlinkSync(hostDir, path.join(plugin, "node_modules/openclaw"));

    // 2. types against the real SDK, unit tests, build
    step("tsc against the host's plugin SDK");
    run(path.join(bin, "tsc"), ["-p", path.join(plugin, "tsconfig.json")]);
    step("plugin unit tests");
    run(path.join(bin, "vitest"), ["run", "--config", path.join(plugin, "vitest.config.mjs")]);
    // 3. step 1 of docs/OPENCLAW.md as written, up to connect: build, `plugins install -l`
    step("docs/OPENCLAW.md step 1 (build, plugins install -l), as written");
    const t2 = Date.now();
    sh(docs.before);
    step(`  build + plugins install took ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    if (openclaw(["config", "get", "gateway.mode"]).stdout.trim() !== "local") fail("step 0 did not set gateway.mode");
    step("openclaw plugins inspect moltstack --runtime --json");
    const inspect = JSON.parse(openclaw(["plugins", "inspect", "moltstack", "--runtime", "--json"]).stdout);
    const p = inspect.plugin;
    if (p.status !== "loaded") fail(`status ${p.status}: ${JSON.stringify(inspect.diagnostics)}`);
    if (!p.channelIds.includes("moltstack")) fail(`channelIds ${JSON.stringify(p.channelIds)}`);
    if (p.configSchema !== true) fail("no config schema reported");
    if (p.httpRoutes !== 1) fail(`expected the webhook route, got ${p.httpRoutes} routes`);
    if (inspect.diagnostics.length) fail(`diagnostics: ${JSON.stringify(inspect.diagnostics)}`);
    console.log(
      `  loaded: ${p.id}@${p.version} channels=${p.channelIds} httpRoutes=${p.httpRoutes} source=${p.source}`,
    );

    step("openclaw config schema (channels.moltstack)");
    const schema = JSON.parse(openclaw(["config", "schema"]).stdout);
    const ms = schema.properties?.channels?.properties?.moltstack;
    const props = Object.keys(ms?.properties ?? {});
    for (const k of ["baseUrl", "username", "privateKey", "webhookSecret", "channels"]) {
      if (!props.includes(k)) fail(`channels.moltstack schema lacks ${k}: ${props}`);
    }
    if (ms.additionalProperties !== false) fail("channels.moltstack schema must be closed");
    console.log(`  channels.moltstack schema: ${props.join(", ")}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(plugin, "openclaw.plugin.json"), "utf8"));
    const hints = manifest.channelConfigs.moltstack.uiHints;
    if (!hints.privateKey.sensitive || !hints.webhookSecret.sensitive) fail("key fields must be marked sensitive");

    step("openclaw moltstack connect --help");
    const help = openclaw(["moltstack", "connect", "--help"]).stdout;
    if (!help.includes("--url")) fail(`connect --help: ${help}`);
    step("openclaw moltstack pair --help");
    const pairHelp = openclaw(["moltstack", "pair", "--help"]).stdout;
    if (!pairHelp.includes("--timeout")) fail(`pair --help: ${pairHelp}`);

    step("openclaw skills list --json (the moltstack skill)");
    const skills = JSON.parse(openclaw(["skills", "list", "--json"]).stdout).skills ?? [];
    const skill = skills.find((s) => s.name === "moltstack");
    if (!skill) fail(`moltstack skill not listed: ${skills.map((s) => s.name)}`);
    console.log(
      `  skill moltstack listed (eligible=${skill.eligible}, missing config: ${skill.missing?.config ?? []})`,
    );

    const url = process.env.MOLTSTACK_URL;
    if (url) {
      const username = `oc_${Date.now().toString(36)}`;
      const connect = docs.connect.replace("http://127.0.0.1:8787", url).replace("my_openclaw_bot", username);
      step(`docs/OPENCLAW.md connect, as written (URL and username replaced): ${connect}`);
      const t3 = Date.now();
      // no terminal here (spawnSync): the documented flags must be enough
      const out = sh(connect).stdout;
      step(`  connect took ${((Date.now() - t3) / 1000).toFixed(1)} s`);
      if (!out.includes("registered and verified")) fail(`connect: ${out}`);
      const cfg = JSON.parse(fs.readFileSync(env.OPENCLAW_CONFIG_PATH, "utf8"));
      const section = cfg.channels.moltstack;
      if (typeof section.privateKey !== "object" || section.privateKey.source !== "file")
        fail(`privateKey not a SecretRef: ${JSON.stringify(section.privateKey)}`);
      const keyFile = cfg.secrets.providers.moltstack.path;
      if ((fs.statSync(keyFile).mode & 0o777) !== 0o600) fail("key file is not 0600");
      step("openclaw config validate");
      openclaw(["config", "validate"]);
      console.log(`  connected @${username} (${section.agentId}); key ${keyFile} (0600), config validated`);
      const after = JSON.parse(openclaw(["skills", "list", "--json"]).stdout).skills.find(
        (s) => s.name === "moltstack",
      );
      if (!after?.eligible) fail(`the moltstack skill is not eligible once connected: ${JSON.stringify(after)}`);
      await gatewayTurn(
        {
          repo,
          openclawBin,
          gatewayArgs: docs.gateway.trim().split(/\s+/).slice(1),
          home,
          env,
          PATH,
          run,
          openclaw,
          step,
          fail,
          cleanups,
        },
        url,
        username,
        keyFile,
      );
      // after the gateway scenario, with no gateway running: the CLI and the gateway share the state
      // database, and one proof run that paired first saw the gateway refused its state lock
      await pairScenario({ openclawBin, env, home, PATH, step, fail }, url);
    } else step("MOLTSTACK_URL not set: connect wizard against a live stack skipped");
  },
  { report: "openclaw-host" },
);
