// `npm run test:openclaw-a2a` (issue 22): A2A between MoltStack and the REAL OpenClaw package, offline.
// OpenClaw's bundled `a2a` channel plugin and a gateway with a fake OpenAI-compatible model
// (integrations/openclaw/test/fake-model.mjs), against a private MoltStack stack (test/e2e/stack.mjs):
//  1. MoltStack → OpenClaw: a channel bridges the gateway's /a2a/v1 (token = the peer token OpenClaw
//     expects); a member mentions the bridged agent; OpenClaw runs a turn; the answer is posted back.
//  2. OpenClaw → MoltStack: the plugin's peer `moltstack` points at a MoltStack agent's endpoint with a
//     MoltStack peer token; `openclaw message send --channel a2a --target a2a:moltstack` sends SendMessage;
//     the MoltStack agent answers; the task is COMPLETED.
// The OpenClaw install is the one `npm run test:openclaw` makes (OPENCLAW_SCRATCH, default
// /tmp/openclaw-scratch); when absent it is installed the same way (npm, ~4 min cold).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { root, startStack } from "../e2e/stack.mjs";

const VERSION = "2026.9.6";
const scratch = process.env.OPENCLAW_SCRATCH ?? "/tmp/openclaw-scratch";
const prefix = path.join(scratch, "global");
const openclawBin = path.join(prefix, "bin/openclaw");
const bin = path.join(root, "node_modules/.bin");
const PATH = `${bin}:${path.join(prefix, "bin")}:${process.env.PATH}`;
const t0 = Date.now();
const step = (m) => console.log(`[test:openclaw-a2a +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const cleanups = [];
async function cleanup() {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {}
  }
}
async function fail(m) {
  console.error(`[test:openclaw-a2a] FAIL: ${m}`);
  await cleanup();
  process.exit(1);
}
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const ip = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

const home = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-a2a-"));
cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
const env = {
  ...process.env,
  PATH,
  HOME: home,
  OPENCLAW_HOME: home,
  OPENCLAW_STATE_DIR: path.join(home, ".openclaw"),
  OPENCLAW_CONFIG_PATH: path.join(home, ".openclaw/openclaw.json"),
  OPENCLAW_NO_AUTO_UPDATE: "1",
  OPENCLAW_DISABLE_BONJOUR: "1",
  NO_COLOR: "1",
};
function run(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env,
    cwd: home,
    timeout: o.timeout ?? 180_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0 && !o.allowFail)
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}
const openclaw = (args, o) => run(openclawBin, args, o);

async function rest(base, method, p, token, body) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: {
      "cf-connecting-ip": ip(),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function main() {
  if (!fs.existsSync(openclawBin)) {
    step(`installing openclaw@${VERSION} into ${prefix}`);
    run("npm", ["install", "-g", `openclaw@${VERSION}`, "--no-audit", "--no-fund", "--loglevel=error"], {
      timeout: 900_000,
    });
  }
  step("starting a MoltStack stack");
  fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  const stack = await startStack({ ui: false });
  cleanups.push(() => stack.stop());
  run(process.execPath, [path.join(root, "sdk/build.mjs")]);
  const { MoltStackClient, generateKey } = await import(path.join(root, "sdk/dist/index.js"));

  // the MoltStack side: an owner with a server (for the bridge) and an agent reachable over A2A
  const username = `oc_${Date.now().toString(36)}`;
  const owner = await MoltStackClient.register({
    baseUrl: stack.base,
    username,
    key: await generateKey(),
    headers: { "CF-Connecting-IP": ip() },
  });
  const ownerToken = owner.tokens.apiToken;
  const patchA2a = await rest(stack.base, "PATCH", "/api/v1/agents/@me/config", ownerToken, { a2a_enabled: true });
  if (patchA2a.status !== 200) await fail(`opt-in: ${JSON.stringify(patchA2a.body)}`);
  const key = await rest(stack.base, "POST", "/api/v1/agents/@me/keys", ownerToken, {
    name: "openclaw@127.0.0.1",
    scopes: ["a2a"],
  });
  if (key.status !== 201) await fail(`peer token: ${JSON.stringify(key.body)}`);
  const endpoint = `${stack.base}/a2a/agents/${username}/v1`;

  // the OpenClaw side: fake model, gateway, the bundled a2a plugin with one peer: moltstack
  const [gwPort, modelPort] = [await freePort(), await freePort()];
  const inboundSecret = `oc-in-${crypto.randomUUID()}`;
  const modelLog = path.join(home, "model.jsonl");
  const model = spawn(
    process.execPath,
    [path.join(root, "integrations/openclaw/test/fake-model.mjs"), String(modelPort), modelLog],
    {
      env,
      stdio: "ignore",
    },
  );
  cleanups.push(() => model.kill());
  const config = {
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
    channels: {
      a2a: {
        enabled: true,
        replyTimeoutMs: 60000,
        peers: { moltstack: { token: inboundSecret, url: endpoint, outboundToken: key.body.key } },
      },
    },
  };
  fs.mkdirSync(env.OPENCLAW_STATE_DIR, { recursive: true });
  const patch = path.join(home, "patch.json");
  fs.writeFileSync(patch, JSON.stringify(config));
  step("configuring OpenClaw (gateway, fake model, channels.a2a with peer moltstack)");
  openclaw(["config", "patch", "--file", patch]);

  let log = "";
  const gw = spawn(openclawBin, ["gateway", "run"], { env, cwd: home, detached: true });
  cleanups.push(() => process.kill(-gw.pid, "SIGKILL"));
  gw.stdout.on("data", (d) => (log += d));
  gw.stderr.on("data", (d) => (log += d));
  const gwBase = `http://127.0.0.1:${gwPort}`;
  step("waiting for the gateway's A2A card");
  let card = null;
  for (let i = 0; i < 240 && !card && gw.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 500));
    try {
      const r = await fetch(`${gwBase}/.well-known/agent-card.json`);
      if (r.ok) card = await r.json();
    } catch {}
  }
  if (!card) await fail(`no A2A card from the gateway:\n${log.slice(-3000)}`);
  console.log(`  OpenClaw card: ${card.name} → ${JSON.stringify(card.supportedInterfaces ?? card.url)}`);

  // 1. MoltStack → OpenClaw: bridge the gateway into a channel
  step("MoltStack → OpenClaw: bridge the gateway's /a2a/v1 into a channel, mention it");
  const server = await owner.createServer({ name: `oc a2a ${Date.now().toString(36)}` });
  const [channel] = await owner.channels(server.id);
  const added = await rest(stack.base, "POST", `/api/v1/channels/${channel.id}/a2a-bridges`, ownerToken, {
    name: "openclaw",
    url: `${gwBase}/a2a/v1`,
    token: inboundSecret,
  });
  if (added.status !== 201) await fail(`bridge: ${JSON.stringify(added.body)}`);
  const bridged = added.body.agent.username;
  const posted = await rest(stack.base, "POST", `/api/v1/channels/${channel.id}/messages`, ownerToken, {
    content: `@${bridged} what is the capital of France?`,
  });
  const postedId = posted.body.id ?? posted.body.message?.id;
  let reply = null;
  for (let i = 0; i < 240 && !reply; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const h = await rest(stack.base, "GET", `/api/v1/channels/${channel.id}/messages?limit=20`, ownerToken);
    const items = h.body.messages ?? h.body.items ?? [];
    reply = items.find((m) => m.agent?.username === bridged && m.reply_to === postedId) ?? null;
  }
  if (!reply) await fail(`no reply from the bridged OpenClaw agent:\n${log.slice(-3000)}`);
  if (!reply.content.startsWith("ECHO:")) await fail(`unexpected reply ${JSON.stringify(reply)}`);
  // the model saw the channel message (OpenClaw wraps peer text as data) and MoltStack's context metadata
  const prompts = fs.readFileSync(modelLog, "utf8");
  if (!prompts.includes("what is the capital of France?")) await fail("the mention never reached the model");
  console.log(`  posted by @${bridged}: ${JSON.stringify(reply.content)}`);

  // 2. OpenClaw → MoltStack: the plugin's outbound peer
  step("OpenClaw → MoltStack: openclaw message send --channel a2a --target a2a:moltstack");
  let answered = null;
  const hub = owner.hub();
  cleanups.push(() => hub.close());
  hub.on("a2a_message", async (e) => {
    const t = await rest(stack.base, "GET", `/api/v1/a2a/tasks/${e.task_id}`, ownerToken);
    answered = t.body;
    await rest(stack.base, "POST", `/api/v1/a2a/tasks/${e.task_id}/reply`, ownerToken, {
      content: `MoltStack got: ${t.body.text}`,
    });
  });
  await new Promise((r) => hub.once("open", r));
  const sent = openclaw(
    ["message", "send", "--channel", "a2a", "--target", "a2a:moltstack", "--message", "hello from OpenClaw"],
    {
      allowFail: true,
      timeout: 240_000,
    },
  );
  console.log(`  openclaw message send exited ${sent.status}: ${(sent.stdout + sent.stderr).trim().slice(-400)}`);
  for (let i = 0; i < 60 && !answered; i++) await new Promise((r) => setTimeout(r, 500));
  if (!answered)
    await fail(
      `MoltStack never received OpenClaw's message (exit ${sent.status}):\n${sent.stdout}\n${sent.stderr}\n${log.slice(-2000)}`,
    );
  if (!answered.text.includes("hello from OpenClaw")) await fail(`unexpected task ${JSON.stringify(answered)}`);
  console.log(`  MoltStack task from ${answered.peer}: ${JSON.stringify(answered.text)}`);
  let done = null;
  for (let i = 0; i < 20 && done?.state !== "completed"; i++) {
    await new Promise((r) => setTimeout(r, 250));
    done = (await rest(stack.base, "GET", `/api/v1/a2a/tasks?state=all`, ownerToken)).body.items.find(
      (t) => t.id === answered.id,
    );
  }
  if (done?.state !== "completed") await fail(`task not completed: ${JSON.stringify(done)}`);
  if (sent.status !== 0) await fail(`openclaw message send failed:\n${sent.stdout}\n${sent.stderr}`);
  step("both directions done: a posted reply (MoltStack → OpenClaw) and a completed task (OpenClaw → MoltStack)");
  await cleanup();
  process.exit(0);
}

main().catch((e) => fail(e instanceof Error ? e.stack : String(e)));
