// `npm run test:openclaw`: proves the plugin against a real OpenClaw host (openclaw@2026.9.6).
//  1. installs openclaw into a scratch dir (reused when already there: OPENCLAW_SCRATCH, default
//     /tmp/openclaw-scratch) and links it as integrations/openclaw/node_modules/openclaw for types;
//  2. type-checks the plugin against the host's real SDK, runs its unit tests, builds dist/;
//  3. in a throw-away HOME/OPENCLAW_* dir: `plugins install -l`, `plugins inspect --runtime --json`
//     (status loaded, channel moltstack, HTTP route), `config schema` (channels.moltstack schema),
//     `moltstack connect --help`;
//  4. when MOLTSTACK_URL points at a running stack (npm run dev): the connect wizard for real, then
//     `config validate` on what it wrote (privateKey must be a SecretRef, the key file 0600); then a
//     real gateway with a fake OpenAI-compatible model: another bot @mentions ours on MoltStack, OpenClaw
//     runs a turn and the reply comes back as a MoltStack reply; the model's prompt must carry the
//     three instruction tiers (platform in the system prompt, server/channel as untrusted context).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "2026.9.6";
const plugin = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repo = path.resolve(plugin, "../..");
const scratch = process.env.OPENCLAW_SCRATCH ?? "/tmp/openclaw-scratch";
const bin = path.join(repo, "node_modules/.bin");
const t0 = Date.now();
const step = (m) => console.log(`[test:openclaw +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
// processes and dirs to clean up even when a check fails (fail() exits at once)
const cleanups = [];
const fail = (m) => {
  console.error(`[test:openclaw] FAIL: ${m}`);
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {}
  }
  process.exit(1);
};
const PATH = `${bin}:${path.join(scratch, "node_modules/.bin")}:${process.env.PATH}`;

function run(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, PATH, ...o.env },
    cwd: o.cwd ?? repo,
    timeout: o.timeout ?? 180_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0 && !o.allowFail) fail(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

// 1. host install (cold ~4 min, warm cache ~1 min, present: 0 s)
const installed = path.join(scratch, "node_modules/openclaw/package.json");
const have = fs.existsSync(installed) ? JSON.parse(fs.readFileSync(installed, "utf8")).version : null;
if (have !== VERSION) {
  step(`installing openclaw@${VERSION} into ${scratch}`);
  run("npm", ["install", `openclaw@${VERSION}`, "--prefix", scratch, "--no-audit", "--no-fund", "--prefer-offline"], {
    timeout: 900_000,
  });
} else step(`openclaw@${VERSION} already in ${scratch}`);
fs.mkdirSync(path.join(plugin, "node_modules"), { recursive: true });
fs.rmSync(path.join(plugin, "node_modules/openclaw"), { force: true, recursive: true });
fs.symlinkSync(path.join(scratch, "node_modules/openclaw"), path.join(plugin, "node_modules/openclaw"));

// 2. types against the real SDK, unit tests, build
step("tsc against the host's plugin SDK");
run(path.join(bin, "tsc"), ["-p", path.join(plugin, "tsconfig.json")]);
step("plugin unit tests");
run(path.join(bin, "vitest"), ["run", "--config", path.join(plugin, "vitest.config.mjs")]);
step("build");
run(process.execPath, [path.join(plugin, "build.mjs")]);

// 3. a throw-away OpenClaw home
const home = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-moltstack-"));
cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
const env = {
  HOME: home,
  OPENCLAW_HOME: home,
  OPENCLAW_STATE_DIR: path.join(home, ".openclaw"),
  OPENCLAW_CONFIG_PATH: path.join(home, ".openclaw/openclaw.json"),
  OPENCLAW_NO_AUTO_UPDATE: "1",
  NO_COLOR: "1",
};
const openclaw = (args, o = {}) =>
  run(path.join(scratch, "node_modules/.bin/openclaw"), args, { ...o, env, cwd: home });
try {
  step("openclaw plugins install -l");
  openclaw(["plugins", "install", "-l", plugin, "--force", "--accept-capabilities"]);
  step("openclaw plugins inspect moltstack --runtime --json");
  const inspect = JSON.parse(openclaw(["plugins", "inspect", "moltstack", "--runtime", "--json"]).stdout);
  const p = inspect.plugin;
  if (p.status !== "loaded") fail(`status ${p.status}: ${JSON.stringify(inspect.diagnostics)}`);
  if (!p.channelIds.includes("moltstack")) fail(`channelIds ${JSON.stringify(p.channelIds)}`);
  if (p.configSchema !== true) fail("no config schema reported");
  if (p.httpRoutes !== 1) fail(`expected the webhook route, got ${p.httpRoutes} routes`);
  if (inspect.diagnostics.length) fail(`diagnostics: ${JSON.stringify(inspect.diagnostics)}`);
  console.log(`  loaded: ${p.id}@${p.version} channels=${p.channelIds} httpRoutes=${p.httpRoutes} source=${p.source}`);

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

  step("openclaw skills list --json (the moltstack skill)");
  const skills = JSON.parse(openclaw(["skills", "list", "--json"]).stdout).skills ?? [];
  const skill = skills.find((s) => s.name === "moltstack");
  if (!skill) fail(`moltstack skill not listed: ${skills.map((s) => s.name)}`);
  console.log(`  skill moltstack listed (eligible=${skill.eligible}, missing config: ${skill.missing?.config ?? []})`);

  const url = process.env.MOLTSTACK_URL;
  if (url) {
    const username = `oc_${Date.now().toString(36)}`;
    step(`connect wizard against ${url} as @${username}`);
    const out = openclaw([
      "moltstack",
      "connect",
      "--url",
      url,
      "--username",
      username,
      "--capabilities",
      "testing",
      "--yes",
    ]).stdout;
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
    const after = JSON.parse(openclaw(["skills", "list", "--json"]).stdout).skills.find((s) => s.name === "moltstack");
    if (!after?.eligible) fail(`the moltstack skill is not eligible once connected: ${JSON.stringify(after)}`);
    await gatewayTurn(url, username, keyFile);
  } else step("MOLTSTACK_URL not set: connect wizard against a live stack skipped");
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
step("PASS");
process.exit(0); // do not wait for idle keep-alive sockets of the SDK clients

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function gatewayTurn(url, username, keyFile) {
  step("gateway turn: @mention on MoltStack → OpenClaw turn (fake model) → MoltStack reply");
  run(process.execPath, [path.join(repo, "sdk/build.mjs")]);
  const { MoltStackClient, generateKey } = await import(path.join(repo, "sdk/dist/index.js"));
  const { loadKeyFile } = await import(path.join(repo, "sdk/dist/node.js"));
  const [gwPort, modelPort] = [await freePort(), await freePort()];
  const modelLog = path.join(home, "model.jsonl");
  const patch = path.join(home, "patch.json");
  fs.writeFileSync(
    patch,
    JSON.stringify({
      gateway: { mode: "local", bind: "loopback", port: gwPort, auth: { mode: "none" } },
      models: {
        mode: "merge",
        providers: {
          fake: {
            baseUrl: `http://127.0.0.1:${modelPort}/v1`,
            apiKey: "sk-local",
            api: "openai-completions",
            models: [
              {
                id: "echo",
                name: "Echo",
                reasoning: false,
                input: ["text"],
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                contextWindow: 32000,
                maxTokens: 1024,
              },
            ],
          },
        },
      },
      agents: { defaults: { model: { primary: "fake/echo" } } },
    }),
  );
  openclaw(["config", "patch", "--file", patch]);
  const procEnv = { ...process.env, PATH, ...env, OPENCLAW_DISABLE_BONJOUR: "1" };
  cleanups.push(() => model.kill());
  cleanups.push(() => gw && process.kill(-gw.pid, "SIGKILL"));
  const model = spawn(process.execPath, [path.join(plugin, "test/fake-model.mjs"), String(modelPort), modelLog], {
    env: procEnv,
    stdio: "ignore",
  });
  // the gateway runs as its own process group so a stop reaches every child
  let gw = null;
  let log = "";
  const startGateway = async (expect) => {
    log = "";
    gw = spawn(path.join(scratch, "node_modules/.bin/openclaw"), ["gateway", "run"], {
      env: procEnv,
      cwd: home,
      detached: true,
    });
    gw.stdout.on("data", (d) => (log += d));
    gw.stderr.on("data", (d) => (log += d));
    const deadline = Date.now() + 120_000;
    while (!log.includes(expect) && Date.now() < deadline && gw.exitCode === null)
      await new Promise((r) => setTimeout(r, 500));
    if (!log.includes(expect)) fail(`gateway never logged ${JSON.stringify(expect)}:\n${log.slice(-3000)}`);
  };
  const stopGateway = async () => {
    if (!gw || gw.exitCode !== null) return;
    const exited = new Promise((r) => gw.once("exit", r));
    try {
      process.kill(-gw.pid, "SIGTERM");
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    try {
      process.kill(-gw.pid, "SIGKILL");
    } catch {}
  };
  const clients = [];
  try {
    await startGateway(`connected as @${username}`);
    step("gateway connected the account through the SecretRef'd key");
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
    const asker = await MoltStackClient.register({
      baseUrl: url,
      username: `ask_${Date.now().toString(36)}`,
      key: await generateKey(),
      headers: { "CF-Connecting-IP": ip },
    });
    const server = await asker.createServer({
      name: `openclaw gateway ${Date.now()}`,
      instructions: "Server tier: answer briefly.",
    });
    const general = (await asker.channels(server.id)).find((c) => c.name === "general");
    await asker.call("PUT /api/v1/channels/{id}/instructions", {
      path: { id: general.id },
      body: { instructions: "Channel tier: stay on topic." },
    });
    const bot = await MoltStackClient.login({ baseUrl: url, username, key: await loadKeyFile(keyFile) });
    await bot.joinServer(server.id);
    const ch = asker.channel(general.id);
    clients.push(ch);
    await ch.waitFor("context");
    const t = Date.now();
    const ack = await ch.send(`@${username} what is the capital of France?`);
    const reply = await ch.waitFor("message", (m) => m.reply_to === ack.id, 120_000);
    if (reply.agent.username !== username || !reply.content.startsWith("ECHO:"))
      fail(`unexpected reply ${JSON.stringify(reply)}`);
    console.log(`  reply from @${reply.agent.username} after ${Date.now() - t} ms: ${JSON.stringify(reply.content)}`);
    const requests = fs
      .readFileSync(modelLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const last = requests.at(-1).messages;
    const system = last
      .filter((m) => m.role === "system")
      .map((m) => m.text)
      .join("\n");
    const user = last
      .filter((m) => m.role === "user")
      .map((m) => m.text)
      .join("\n");
    if (!system.includes("You are on MoltStack")) fail("platform tier missing from the system prompt");
    if (system.includes("Server tier") || system.includes("Channel tier"))
      fail("server/channel tiers must not enter the system prompt");
    if (!user.includes("Server tier: answer briefly.") || !user.includes("Channel tier: stay on topic."))
      fail("server/channel tiers missing from the prompt context");
    console.log("  context: platform tier in the system prompt; server and channel tiers as untrusted context");

    step("opt into #general, restart: a message posted while the gateway is down is answered (cursor resume)");
    await stopGateway();
    openclaw(["config", "set", "channels.moltstack.channels", JSON.stringify([general.id]), "--strict-json"]);
    await startGateway("1 opted-in channel(s)");
    // plain chatter (no mention) now starts turns; answering it also stores the cursor
    const live = await ch.send("opted-in chatter, no mention");
    await ch.waitFor("message", (m) => m.reply_to === live.id, 120_000);
    await stopGateway();
    const missed = await asker.postMessage(general.id, "posted while the gateway was down");
    // and a friendship + DM made while it is down: the DM channel is new, so it is replayed whole
    await asker.friendRequest(username);
    const friend = await bot.call("POST /api/v1/friends/accept", {
      body: { username: asker.tokens && (await asker.me()).username },
    });
    const dmId = friend?.dm_channel_id;
    if (!dmId) fail(`no DM channel: ${JSON.stringify(friend)}`);
    const dmSocket = asker.channel(dmId);
    clients.push(dmSocket);
    const dm = await asker.postMessage(dmId, "a DM sent while the gateway was down");
    const t2 = Date.now();
    const answered = ch.waitFor("message", (m) => m.reply_to === missed.message.id, 180_000);
    const dmAnswered = dmSocket.waitFor("message", (m) => m.reply_to === dm.message.id, 180_000);
    await startGateway("1 opted-in channel(s), 1 DM(s)");
    await Promise.all([answered, dmAnswered]);
    console.log(
      `  the missed channel message and the missed DM were answered ${Date.now() - t2} ms after the restart began`,
    );
    // the bot's own replies arrive on its opted-in socket too: none of them may start a turn
    await new Promise((r) => setTimeout(r, 4000));
    const page = await asker.history(general.id, { limit: 50 });
    const mine = page.messages.filter((m) => m.agent.username === username);
    const replied = new Set(mine.map((m) => m.reply_to));
    if (mine.length !== 3 || replied.size !== 3)
      fail(`expected exactly 3 bot replies, got ${JSON.stringify(mine.map((m) => m.reply_to))}`);
    if (mine.some((m) => mine.some((o) => o.id === m.reply_to))) fail("the bot answered its own message");
    console.log("  3 replies for 3 prompts: nothing missed across the restart, own messages never answered");
    const state = path.join(env.OPENCLAW_STATE_DIR, "moltstack");
    for (const f of ["default.session.json", "default.cursors.json"]) {
      const st = fs.statSync(path.join(state, f));
      if ((st.mode & 0o777) !== 0o600) fail(`${f} is not 0600`);
    }
    const cursors = JSON.parse(fs.readFileSync(path.join(state, "default.cursors.json"), "utf8"));
    if (!(cursors[general.id] >= missed.message.seq))
      fail(`cursor ${JSON.stringify(cursors)} behind seq ${missed.message.seq}`);
    console.log(`  state: session and cursor files 0600; cursor #general=${cursors[general.id]}`);
  } finally {
    for (const c of clients) c.close();
    await stopGateway();
    model.kill();
  }
}
