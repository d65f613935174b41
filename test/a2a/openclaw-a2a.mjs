// `npm run test:openclaw-a2a` (issue 22): A2A between MoltStack and the REAL OpenClaw package, offline.
// OpenClaw's bundled `a2a` channel plugin and a gateway with a fake OpenAI-compatible model
// (integrations/openclaw/test/fake-model.mjs), against a private MoltStack stack (test/e2e/stack.mjs; the
// one MOLTSTACK_URL names under `npm run test:proofs`):
//  1. MoltStack → OpenClaw: a channel bridges the gateway's /a2a/v1 (token = the peer token OpenClaw
//     expects); a member mentions the bridged agent; OpenClaw runs a turn; the answer is posted back.
//  2. OpenClaw → MoltStack: the plugin's peer `moltstack` points at a MoltStack agent's endpoint with a
//     MoltStack peer token; `openclaw message send --channel a2a --target a2a:moltstack` sends SendMessage;
//     the MoltStack agent answers; the task is COMPLETED.
// The OpenClaw install is the one `npm run test:openclaw` makes (OPENCLAW_SCRATCH, default
// /tmp/openclaw-scratch); when absent it is installed the same way (npm, ~4 min cold). The host driver
// (install, throw-away home, CLI, fake model config) is test/support/openclaw.mjs, shared by the three proofs.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root, startStack } from "../e2e/stack.mjs";
import {
  fakeModelConfig,
  freePort,
  openclawBin,
  openclawProof,
  patchConfig,
  randomIp,
  rest,
  startFakeModel,
} from "../support/openclaw.mjs";

// the host install, a throw-away home and the CLI runners: test/support/openclaw.mjs
const proof = openclawProof("test:openclaw-a2a", {
  homePrefix: "openclaw-a2a-",
  env: { OPENCLAW_DISABLE_BONJOUR: "1" },
});
const { step, fail, cleanups, home, procEnv, openclaw } = proof;

async function main() {
  proof.ensureInstalled();
  step("starting a MoltStack stack (or using MOLTSTACK_URL's)");
  fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  const stack = await startStack({ ui: false, reuse: true });
  cleanups.push(() => stack.stop());
  proof.run(process.execPath, [path.join(root, "sdk/build.mjs")]);
  const { MoltStackClient, generateKey } = await import(path.join(root, "sdk/dist/index.js"));

  // the MoltStack side: an owner with a server (for the bridge) and an agent reachable over A2A
  const username = `oc_${Date.now().toString(36)}`;
  const owner = await MoltStackClient.register({
    baseUrl: stack.base,
    username,
    key: await generateKey(),
    headers: { "CF-Connecting-IP": randomIp() },
  });
  const ownerToken = owner.tokens.apiToken;
  const patchA2a = await rest(stack.base, "PATCH", "/api/v1/agents/@me/config", ownerToken, { a2a_enabled: true });
  if (patchA2a.status !== 200) fail(`opt-in: ${JSON.stringify(patchA2a.body)}`);
  const key = await rest(stack.base, "POST", "/api/v1/agents/@me/keys", ownerToken, {
    name: "openclaw@127.0.0.1",
    scopes: ["a2a"],
  });
  if (key.status !== 201) fail(`peer token: ${JSON.stringify(key.body)}`);
  const endpoint = `${stack.base}/a2a/agents/${username}/v1`;

  // the OpenClaw side: fake model, gateway, the bundled a2a plugin with one peer: moltstack
  const [gwPort, modelPort] = [await freePort(), await freePort()];
  const inboundSecret = `oc-in-${crypto.randomUUID()}`;
  const modelLog = path.join(home, "model.jsonl");
  const model = startFakeModel(modelPort, modelLog, procEnv);
  cleanups.push(() => model.kill());
  const config = {
    ...fakeModelConfig(gwPort, modelPort),
    channels: {
      a2a: {
        enabled: true,
        replyTimeoutMs: 60000,
        peers: { moltstack: { token: inboundSecret, url: endpoint, outboundToken: key.body.key } },
      },
    },
  };
  step("configuring OpenClaw (gateway, fake model, channels.a2a with peer moltstack)");
  patchConfig(proof, config);

  let log = "";
  const gw = spawn(openclawBin, ["gateway", "run"], { env: procEnv, cwd: home, detached: true });
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
  if (!card) fail(`no A2A card from the gateway:\n${log.slice(-3000)}`);
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
  if (added.status !== 201) fail(`bridge: ${JSON.stringify(added.body)}`);
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
  if (!reply) fail(`no reply from the bridged OpenClaw agent:\n${log.slice(-3000)}`);
  if (!reply.content.startsWith("ECHO:")) fail(`unexpected reply ${JSON.stringify(reply)}`);
  // the model saw the channel message (OpenClaw wraps peer text as data) and MoltStack's context metadata
  const prompts = fs.readFileSync(modelLog, "utf8");
  if (!prompts.includes("what is the capital of France?")) fail("the mention never reached the model");
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
    fail(
      `MoltStack never received OpenClaw's message (exit ${sent.status}):\n${sent.stdout}\n${sent.stderr}\n${log.slice(-2000)}`,
    );
  if (!answered.text.includes("hello from OpenClaw")) fail(`unexpected task ${JSON.stringify(answered)}`);
  console.log(`  MoltStack task from ${answered.peer}: ${JSON.stringify(answered.text)}`);
  let done = null;
  for (let i = 0; i < 20 && done?.state !== "completed"; i++) {
    await new Promise((r) => setTimeout(r, 250));
    done = (await rest(stack.base, "GET", `/api/v1/a2a/tasks?state=all`, ownerToken)).body.items.find(
      (t) => t.id === answered.id,
    );
  }
  if (done?.state !== "completed") fail(`task not completed: ${JSON.stringify(done)}`);
  if (sent.status !== 0) fail(`openclaw message send failed:\n${sent.stdout}\n${sent.stderr}`);
  step("both directions done: a posted reply (MoltStack → OpenClaw) and a completed task (OpenClaw → MoltStack)");
}

await proof.main(main, { report: "openclaw-a2a" });
