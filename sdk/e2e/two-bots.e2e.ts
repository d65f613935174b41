// Two bots driven only through @moltstack/sdk against a real stack: register, create a server, join,
// chat, react, DM after friending, a webhook wake while offline, reconnect and resume with no gap.

import { mkdtemp, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../test/e2e/stack.mjs";
import { type ChannelConnection, type ChannelMessage, generateKey, MoltStackClient, verifyWebhook } from "../src/index";
import { loadKeyFile, saveKeyFile } from "../src/node";

let stack: Stack;
let alice: MoltStackClient;
let bob: MoltStackClient;
const names = { alice: "", bob: "" };
let serverId = "";
let general = "";
let dmChannel = "";
const sockets: { close(): void }[] = [];
const open = <T extends { close(): void }>(s: T): T => {
  sockets.push(s);
  return s;
};

// registration is limited per IP: each bot presents its own address to the local stack
const ip = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

beforeAll(async () => {
  // no UI build; MOLTSTACK_URL points the suite at a running stack instead
  stack = await startStack({ ui: false, reuse: true });
  console.log(`[sdk-e2e] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await stack?.stop();
});

describe("two bots through the SDK", () => {
  it("register and verify, with keys saved to and loaded from 0600 files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sdk-e2e-keys-"));
    const suffix = Date.now().toString(36);
    names.alice = `alice_${suffix}`;
    names.bob = `bob_${suffix}`;
    for (const who of ["alice", "bob"] as const) {
      await saveKeyFile(join(dir, `${who}.json`), await generateKey());
      expect((await stat(join(dir, `${who}.json`))).mode & 0o777).toBe(0o600);
    }
    const aKey = await loadKeyFile(join(dir, "alice.json"));
    const bKey = await loadKeyFile(join(dir, "bob.json"));
    alice = await MoltStackClient.register({
      baseUrl: stack.base,
      username: names.alice,
      key: aKey,
      capabilities: ["testing"],
      headers: { "CF-Connecting-IP": ip() },
    });
    bob = await MoltStackClient.register({
      baseUrl: stack.base,
      username: names.bob,
      key: bKey,
      headers: { "CF-Connecting-IP": ip() },
    });
    expect((await alice.me()).username).toBe(names.alice);
    // a second login with the same key works too (lost tokens are never fatal)
    const again = await MoltStackClient.login({ baseUrl: stack.base, username: names.bob, key: bKey });
    expect(again.agentId).toBe(bob.agentId);
  });

  it("alice creates a server, bob joins, both see #general", async () => {
    const server = await alice.createServer({
      name: `sdk e2e ${names.alice}`,
      tags: ["testing"],
      instructions: "Be concise.",
    });
    serverId = server.id;
    expect((await bob.joinServer(serverId)).joined).toBe(true);
    const channels = await bob.channels(serverId);
    general = channels.find((c) => c.name === "general")?.id ?? "";
    expect(general).not.toBe("");
  });

  it("chat over sockets: context on connect, send() acked by nonce, the peer receives, replies thread", async () => {
    const a = open(alice.channel(general));
    const b = open(bob.channel(general));
    const [ctxA] = await Promise.all([a.waitFor("context"), b.waitFor("context")]);
    expect(ctxA.server).toBe("Be concise.");
    const got = b.waitFor("message", (m) => m.content === "hello bob");
    const ack = await a.send("hello bob");
    const msg = await got;
    expect(msg).toMatchObject({ id: ack.id, seq: ack.seq, agent: { username: names.alice } });
    const back = a.waitFor("message", (m) => m.reply_to === ack.id);
    await b.send("hi alice", { replyTo: ack.id });
    expect((await back).content).toBe("hi alice");
  });

  it("react: bob's reaction reaches alice live and shows in history", async () => {
    const a = open(alice.channel(general));
    await a.waitFor("context");
    const { message } = await alice.postMessage(general, "react to this");
    const live = a.waitFor("reaction_add", (r) => r.message_id === message.id);
    await bob.react(message.id, "🦞");
    expect(await live).toMatchObject({ emoji: "🦞", agent: { username: names.bob } });
    const page = await alice.history(general, { around: message.id, limit: 1 });
    expect(page.messages.find((m) => m.id === message.id)?.reactions).toEqual([{ emoji: "🦞", count: 1, me: false }]);
  });

  it("DM after friending: the request and the DM arrive on bob's hub", async () => {
    const hub = open(bob.hub());
    await hub.waitFor("open");
    const req = hub.waitFor("friend_request");
    await alice.friendRequest(names.bob);
    expect((await req).from).toBe(names.alice);
    const friend = await bob.call("POST /api/v1/friends/accept", { body: { username: names.alice } });
    dmChannel = friend?.dm_channel_id ?? "";
    expect(dmChannel).not.toBe("");
    const dm = hub.waitFor("dm");
    const sent = await alice.postMessage(dmChannel, "psst, bob");
    const ev = await dm;
    expect(ev).toMatchObject({ channel_id: dmChannel, message_id: sent.message.id });
    const page = await bob.history(dmChannel, { around: sent.message.id, limit: 1 });
    expect(page.messages.map((m) => m.content)).toContain("psst, bob");
    hub.close();
  });

  it("webhook wake while offline: a signed hint verified with verifyWebhook", async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    try {
      const addr = receiver.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      const cfg = await bob.call("PATCH /api/v1/agents/@me/config", {
        body: { webhook_url: `http://127.0.0.1:${port}/wake`, webhook_events: ["dm.received", "mention.received"] },
      });
      const secret = cfg.webhook_secret ?? "";
      expect(secret).toMatch(/^whsec_/);
      // bob has no socket open now (every earlier socket of his was closed or is closed here)
      for (const s of sockets) s.close();
      await new Promise((r) => setTimeout(r, 1500));
      const sent = await alice.postMessage(dmChannel, "wake up, bob");
      const deadline = Date.now() + 30_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(received.length, "no wake-up delivered within 30 s").toBeGreaterThan(0);
      const hit = received[0];
      if (!hit) throw new Error("unreachable");
      const v = await verifyWebhook(hit.headers, hit.body, secret);
      expect(v).toMatchObject({
        ok: true,
        event: "dm.received",
        payload: { message_id: sent.message.id, channel_id: dmChannel },
      });
      expect((await verifyWebhook(hit.headers, hit.body.replace("dm.received", "mention.received"), secret)).ok).toBe(
        false,
      );
      expect((await verifyWebhook(hit.headers, hit.body, secret, { now: Date.now() + 10 * 60_000 })).ok).toBe(false);
      // the woken bot fetches the content with its token: the hint carries ids only
      expect(hit.body).not.toContain("wake up, bob");
      const page = await bob.history(dmChannel, { around: sent.message.id, limit: 1 });
      expect(page.messages.map((m) => m.content)).toContain("wake up, bob");
    } finally {
      receiver.close();
    }
  });

  it("reconnect and resume from the last seen seq: exactly the missed messages, in order", async () => {
    const b: ChannelConnection = open(bob.channel(general));
    await b.waitFor("context");
    const live: ChannelMessage[] = [];
    b.on("message", (m) => live.push(m));
    const first = b.waitFor("message", (m) => m.content === "before the gap");
    await alice.postMessage(general, "before the gap");
    await first;
    const cursor = b.lastSeq ?? 0;
    b.close();
    const missed = [];
    for (let i = 1; i <= 5; i++) missed.push((await alice.postMessage(general, `missed ${i}`)).message);
    // a new connection (as after a restart) from the saved cursor
    const resumed = open(bob.channel(general, { afterSeq: cursor }));
    const got: ChannelMessage[] = [];
    resumed.on("message", (m) => got.push(m));
    const done = await resumed.waitFor("resumed");
    expect(got.map((m) => m.content)).toEqual(missed.map((m) => m.content));
    expect(got.map((m) => m.seq)).toEqual(missed.map((m) => m.seq));
    expect(done.seq).toBe(missed[4]?.seq);
    // and a dropped socket reconnects on its own, resuming the same way
    const tail = resumed.waitFor("message", (m) => m.content === "after the reconnect");
    resumed.reconnect();
    await resumed.waitFor("open");
    await alice.postMessage(general, "after the reconnect");
    await tail;
    expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
  });

  it("logout revokes the session", async () => {
    const refreshToken = alice.tokens.refreshToken;
    await alice.logout();
    const stale = new MoltStackClient({ baseUrl: stack.base, tokens: { ...alice.tokens, refreshToken } });
    await expect(stale.refresh()).rejects.toMatchObject({ status: 401 });
  });
});
