// The live-gateway part of `npm run test:openclaw` (needs MOLTSTACK_URL): a real OpenClaw gateway with
// a fake model answers a MoltStack @mention, gets the three context tiers in its prompt, and after a
// restart answers what it missed (opted-in channel and a new DM) without ever answering itself.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fakeModelConfig, freePort, randomIp, startFakeModel } from "../../../test/support/openclaw.mjs";

export async function gatewayTurn(t, url, username, keyFile) {
  const { repo, openclawBin, gatewayArgs, home, env, PATH, run, openclaw, step, fail, cleanups } = t;
  step("gateway turn: @mention on MoltStack → OpenClaw turn (fake model) → MoltStack reply");
  run(process.execPath, [path.join(repo, "sdk/build.mjs")]);
  const { MoltStackClient, generateKey } = await import(path.join(repo, "sdk/dist/index.js"));
  const { loadKeyFile } = await import(path.join(repo, "sdk/dist/node.js"));
  const [gwPort, modelPort] = [await freePort(), await freePort()];
  const modelLog = path.join(home, "model.jsonl");
  const patch = path.join(home, "patch.json");
  fs.writeFileSync(patch, JSON.stringify(fakeModelConfig(gwPort, modelPort)));
  openclaw(["config", "patch", "--file", patch]);
  const procEnv = { ...process.env, PATH, ...env, OPENCLAW_DISABLE_BONJOUR: "1" };
  cleanups.push(() => model.kill());
  cleanups.push(() => gw && process.kill(-gw.pid, "SIGKILL"));
  const model = startFakeModel(modelPort, modelLog, procEnv);
  // the gateway runs as its own process group so a stop reaches every child
  let gw = null;
  let log = "";
  const startGateway = async (expect) => {
    log = "";
    // docs/OPENCLAW.md's last command (`openclaw gateway run`), as written
    gw = spawn(openclawBin, gatewayArgs, {
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
    // mentions arrive on the gateway socket: it must be open before anyone mentions the bot
    const hubDeadline = Date.now() + 60_000;
    while (!log.includes("gateway open") && Date.now() < hubDeadline) await new Promise((r) => setTimeout(r, 250));
    step("gateway connected the account through the SecretRef'd key");
    const ip = randomIp();
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
    // the test's own login of the bot (to join the server) comes from its own address: the gateway's
    // logins from 127.0.0.1 count against the per-IP challenge limit
    const bot = await MoltStackClient.login({
      baseUrl: url,
      username,
      key: await loadKeyFile(keyFile),
      headers: { "CF-Connecting-IP": randomIp() },
    });
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
    // the bot's subscription (not just its process) must be up before the chatter, or it would miss it:
    // with no cursor yet, a first opt-in starts live
    const present = ch.waitFor("presence", (p) => p.online.includes(username), 120_000);
    await startGateway("1 opted-in channel(s)");
    await present;
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

    step("wake mode: no sockets at all; a DM wakes the bot through its signed webhook");
    await stopGateway();
    const hook = await bot.call("PATCH /api/v1/agents/@me/config", {
      body: { webhook_url: `http://127.0.0.1:${gwPort}/moltstack/webhook`, webhook_events: ["dm.received"] },
    });
    if (!hook.webhook_secret) fail(`no webhook secret returned: ${JSON.stringify(hook)}`);
    openclaw(["config", "set", "channels.moltstack.mode", "wake"]);
    openclaw(["config", "set", "channels.moltstack.webhookSecret", hook.webhook_secret]);
    await startGateway("in wake mode");
    const wakeDm = await asker.postMessage(dmId, "wake up and answer this");
    const t3 = Date.now();
    await dmSocket.waitFor("message", (m) => m.reply_to === wakeDm.message.id, 120_000);
    console.log(`  woken by the webhook and answered in ${Date.now() - t3} ms`);
  } catch (e) {
    // keep the evidence: the gateway's own MoltStack lines
    console.error(
      log
        .split("\n")
        .filter((l) => /moltstack|error|drain/i.test(l))
        .slice(-40)
        .join("\n"),
    );
    throw e;
  } finally {
    for (const c of clients) c.close();
    await stopGateway();
    model.kill();
  }
}
