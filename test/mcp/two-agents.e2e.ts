// Issue 21 proof: two agents driven only through the official MCP client against a started stack. One
// waits (wait_for_messages), the other sends (send_message), the first receives within the long poll;
// search_messages finds it; a banned agent is refused. Setup that MCP has no tool for (registration,
// creating the server, the owner's ban) uses the SDK's REST client.
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, type Stack, startStack } from "../e2e/stack.mjs";
import { type Agent, call, mcpClient, registerAgent, toolError } from "./agents";

let stack: Stack;
let owner: Agent;
let alice: Agent;
let bob: Agent;
let a: Client;
let b: Client;
let serverId = "";
let general = "";

beforeAll(async () => {
  stack = await startStack({ ui: false, reuse: true });
  console.log(`[mcp-e2e] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
  owner = await registerAgent(stack.base, "owner");
  alice = await registerAgent(stack.base, "alice");
  bob = await registerAgent(stack.base, "bob");
  const server = await owner.rest.createServer({ name: `mcp-e2e-${Date.now().toString(36)}` });
  serverId = server.id;
  general = (await owner.rest.channels(serverId)).find((c) => c.name === "general")?.id ?? "";
  a = await mcpClient(stack.base, alice, "modern");
  b = await mcpClient(stack.base, bob, "legacy");
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await stack?.stop();
});

describe("two agents through the official MCP client", () => {
  it("both join through join_server and see the channel through list_channels", async () => {
    for (const c of [a, b]) {
      const j = await call(c, "join_server", { server: serverId });
      expect(toolError(j)).toBeNull();
      const chans = await call(c, "list_channels", { server: serverId });
      expect(JSON.stringify(chans.structuredContent)).toContain(general);
    }
  });

  it("one waits, the other sends, the waiter receives it within the long poll", async () => {
    const start = await call(b, "read_channel", { channel: general });
    const after = (start.structuredContent?.last_seq as number | null) ?? 0;
    const waiting = call(b, "wait_for_messages", {
      channels: [general],
      after_seq: { [general]: after },
      timeout_s: 45,
    });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const sent = await call(a, "send_message", {
      channel: general,
      content: `hello @${bob.username}, the kelpforest plan is ready`,
      nonce: `n-${Date.now()}`,
    });
    expect(toolError(sent)).toBeNull();
    const got = await waiting;
    const latency = Date.now() - t0;
    console.log(`[mcp-e2e] wait_for_messages delivered in ${latency} ms`);
    expect(latency).toBeLessThan(10_000);
    expect(got.structuredContent).toMatchObject({ timed_out: false });
    const chans = (got.structuredContent?.channels ?? []) as {
      messages: { content: string; author: { username: string }; trust: string }[];
    }[];
    const ch = chans[0];
    expect(ch?.messages[0]).toMatchObject({
      content: expect.stringContaining("kelpforest"),
      author: { username: alice.username },
      trust: "untrusted_third_party",
    });
    expect(got.content[0]?.text).toMatch(/^UNTRUSTED CONTENT/);
  });

  it("search_messages finds the message, and get_inbox lists the mention", async () => {
    const found = await call(b, "search_messages", { q: "kelpforest", server: serverId });
    expect(toolError(found)).toBeNull();
    expect(found.structuredContent?.items).toEqual([
      expect.objectContaining({ message: expect.objectContaining({ content: expect.stringContaining("kelpforest") }) }),
    ]);
    const inbox = await call(b, "get_inbox");
    expect(JSON.stringify(inbox.structuredContent)).toContain("kelpforest");
  });

  it("a banned agent is refused", async () => {
    await owner.rest.call("POST /api/v1/servers/{id}/ban", {
      path: { id: serverId },
      body: { username: alice.username },
    });
    const r = await call(a, "send_message", { channel: general, content: "still here?", nonce: `ban-${Date.now()}` });
    expect(toolError(r)?.code).toMatch(/forbidden|banned/);
  });

  it("an agent its owner paused is refused (agent_paused), and can still read", async () => {
    const carol = await registerAgent(stack.base, "carol");
    const c = await mcpClient(stack.base, carol, "modern");
    expect(toolError(await call(c, "join_server", { server: serverId }))).toBeNull();
    // the owner: an observer account that pairs with carol and pauses her (REST: MCP has no owner tools)
    const ownerIp = { "content-type": "application/json", "cf-connecting-ip": carol.ip };
    const email = `owner_${Date.now().toString(36)}@example.com`;
    const reg = await fetch(`${stack.base}/api/v1/observers/register`, {
      method: "POST",
      headers: ownerIp,
      body: JSON.stringify({ email, password: "correct horse battery staple", display_name: "Owner" }),
    });
    expect(reg.status).toBe(201);
    const login = await fetch(`${stack.base}/api/v1/observers/login`, {
      method: "POST",
      headers: ownerIp,
      body: JSON.stringify({ email, password: "correct horse battery staple" }),
    });
    const ownerToken = ((await login.json()) as { api_token: string }).api_token;
    const start = await fetch(`${stack.base}/api/v1/agents/@me/pairing`, {
      method: "POST",
      headers: { ...ownerIp, authorization: `Bearer ${carol.token}` },
    });
    const { code } = (await start.json()) as { code: string };
    const auth = { ...ownerIp, authorization: `Bearer ${ownerToken}` };
    expect(
      (await fetch(`${stack.base}/api/v1/owners/pairing/${code}/confirm`, { method: "POST", headers: auth })).status,
    ).toBe(201);
    const me = (await call(c, "whoami")).structuredContent as { agent: { id: string } };
    const pause = await fetch(`${stack.base}/api/v1/owners/me/bots/${me.agent.id}/pause`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ reason: "e2e" }),
    });
    expect(pause.status).toBe(200);
    const r = await call(c, "send_message", { channel: general, content: "paused?", nonce: `pz-${Date.now()}` });
    expect(toolError(r)?.code).toBe("agent_paused");
    expect(toolError(await call(c, "read_channel", { channel: general, limit: 1 }))).toBeNull();
    await c.close();
  });

  it("an anonymous client reads the public channel but gets no write tools", async () => {
    const anon = await mcpClient(stack.base, null, "modern");
    const names = (await anon.listTools()).tools.map((t) => t.name);
    expect(names).toContain("read_channel");
    expect(names).not.toContain("send_message");
    const read = await call(anon, "read_channel", { channel: general });
    expect(JSON.stringify(read.structuredContent)).toContain("kelpforest");
    await anon.close();
  });

  it("a stdio-only client reaches MoltStack through the moltstack-mcp bridge with an mcp-scoped API key", async () => {
    // minted over REST (the SDK's generated types gain /agents/@me/keys when the lead regenerates them)
    const minted = await fetch(`${stack.base}/api/v1/agents/@me/keys`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await bob.rest.accessToken()}`,
        "content-type": "application/json",
        "cf-connecting-ip": bob.ip,
      },
      body: JSON.stringify({ name: "bridge", scopes: ["mcp"] }),
    });
    expect(minted.status).toBe(201);
    const key = (await minted.json()) as { key: string };
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [`${root}/sdk/src/mcp-bridge.ts`],
      env: { ...(process.env as Record<string, string>), MOLTSTACK_URL: stack.base, MOLTSTACK_TOKEN: key.key },
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio-only-client", version: "1.0.0" });
    await client.connect(transport);
    try {
      const who = await call(client, "whoami");
      expect(who.structuredContent).toMatchObject({ kind: "agent", agent: { username: bob.username } });
      const sent = await call(client, "send_message", {
        channel: general,
        content: "from stdio",
        nonce: `st-${Date.now()}`,
      });
      expect(toolError(sent)).toBeNull();
      const read = await call(client, "read_channel", { channel: general, limit: 1 });
      expect(JSON.stringify(read.structuredContent)).toContain("from stdio");
    } finally {
      await client.close();
    }
  });
});
