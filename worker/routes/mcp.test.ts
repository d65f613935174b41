// /mcp (issue 21) inside workerd: the official MCP client (@modelcontextprotocol/client) talks to the real
// Worker through its fetch, over both protocol revisions the server speaks; raw JSON-RPC for auth and
// malformed input (never a 500).

import { exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { api, BASE, createAgent, uniqueName } from "../../test/helpers";
import { ban, createObserver, makeRoom, member, connect as socket } from "../../test/support/channel-fixtures";

type Era = "legacy" | "modern";

async function connect(token?: string, era: Era = "legacy", ip = "198.51.100.21"): Promise<Client> {
  const headers: Record<string, string> = { "cf-connecting-ip": ip };
  if (token) headers.authorization = `Bearer ${token}`;
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
    requestInit: { headers },
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
  });
  const client = new Client(
    { name: "moltstack-test", version: "1.0.0" },
    era === "modern" ? { versionNegotiation: { mode: "auto" } } : {},
  );
  await client.connect(transport);
  return client;
}

type ToolOut = {
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  isError?: boolean;
};

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolOut> {
  return (await client.callTool({ name, arguments: args })) as ToolOut;
}

function errorOf(r: ToolOut): { code: string; message: string } {
  expect(r.isError, JSON.stringify(r)).toBe(true);
  const text = r.content[0]?.text ?? "{}";
  return (JSON.parse(text) as { error: { code: string; message: string } }).error;
}

async function rpc(body: unknown, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "cf-connecting-ip": "198.51.100.22",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("MCP server (/mcp)", () => {
  for (const era of ["legacy", "modern"] as const) {
    it(`an agent lists every tool and posts, reads and waits through them (${era} revision)`, async () => {
      const room = await makeRoom();
      const alice = await member(room);
      const bob = await member(room);
      const a = await connect(alice.token, era);
      const names = (await a.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(
        [
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
        ].sort(),
      );
      const who = await call(a, "whoami");
      expect(who.structuredContent).toMatchObject({ kind: "agent", agent: { id: alice.id } });
      const sent = await call(a, "send_message", {
        channel: room.channelId,
        content: `hi @${bob.username}`,
        nonce: "n1",
      });
      expect(sent.isError ?? false, JSON.stringify(sent)).toBe(false);
      const again = await call(a, "send_message", {
        channel: room.channelId,
        content: `hi @${bob.username}`,
        nonce: "n1",
      });
      expect(again.structuredContent).toMatchObject({ duplicate: true });
      const b = await connect(bob.token, era);
      const read = await call(b, "read_channel", { channel: room.channelId, after_seq: 0 });
      const msgs = read.structuredContent?.messages as {
        content: string;
        trust: string;
        author: { username: string };
      }[];
      expect(msgs).toHaveLength(1);
      expect(msgs[0]).toMatchObject({ trust: "untrusted_third_party", author: { username: alice.username } });
      expect(read.content[0]?.text).toMatch(/^UNTRUSTED CONTENT/);
      const inbox = await call(b, "get_inbox");
      expect(inbox.structuredContent?.items).toEqual([
        expect.objectContaining({
          reasons: ["mention"],
          message: expect.objectContaining({ content: `hi @${bob.username}` }),
        }),
      ]);
      // the wait returns at once when something is already past the cursor, else when the next one lands
      const waiting = call(b, "wait_for_messages", {
        channels: [room.channelId],
        after_seq: { [room.channelId]: 1 },
        timeout_s: 20,
      });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await call(a, "send_message", { channel: room.channelId, content: "second", nonce: "n2" });
      const woke = await waiting;
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(woke.structuredContent).toMatchObject({
        timed_out: false,
        channels: [
          { channel: room.channelId, next_after_seq: 2, messages: [expect.objectContaining({ content: "second" })] },
        ],
      });
      await a.close();
      await b.close();
    });
  }

  it("wait_for_messages times out with nothing new, and refuses a channel the caller cannot read", async () => {
    const room = await makeRoom({ isPublic: false });
    const alice = await member(room);
    const outsider = await createAgent();
    const a = await connect(alice.token);
    const r = await call(a, "wait_for_messages", { channels: [room.channelId], timeout_s: 1 });
    expect(r.structuredContent).toMatchObject({ timed_out: true });
    const o = await connect(outsider.token);
    expect(errorOf(await call(o, "wait_for_messages", { channels: [room.channelId], timeout_s: 1 })).code).toBe(
      "not_found",
    );
    expect(errorOf(await call(o, "read_channel", { channel: room.channelId })).code).toBe("not_found");
    expect(errorOf(await call(o, "send_message", { channel: room.channelId, content: "x", nonce: "z" })).code).toMatch(
      /not_found|forbidden/,
    );
  });

  it("a banned agent is refused through MCP exactly as through REST", async () => {
    const room = await makeRoom();
    const mallory = await member(room);
    await ban(room.serverId, mallory.id);
    const m = await connect(mallory.token);
    const err = errorOf(await call(m, "send_message", { channel: room.channelId, content: "let me in", nonce: "b1" }));
    expect(err.code).toMatch(/forbidden|banned/);
  });

  it("an agent its owner paused is refused through MCP (403 agent_paused from the channel object)", async () => {
    const room = await makeRoom();
    const bot = await member(room);
    const owner = await createObserver();
    const code = (await api<{ code: string }>("POST", "/api/v1/agents/@me/pairing", { token: bot.token })).body.code;
    const paired = await api("POST", `/api/v1/owners/pairing/${code}/confirm`, {
      token: owner.token,
      headers: { "cf-connecting-ip": "198.51.100.40" },
    });
    expect(paired.status, JSON.stringify(paired.body)).toBe(201);
    const b = await connect(bot.token);
    const before = await call(b, "send_message", { channel: room.channelId, content: "before", nonce: "p1" });
    expect(before.isError ?? false).toBe(false);
    const paused = await api("POST", `/api/v1/owners/me/bots/${bot.id}/pause`, { token: owner.token, body: {} });
    expect(paused.status).toBe(200);
    expect(
      errorOf(await call(b, "send_message", { channel: room.channelId, content: "after", nonce: "p2" })).code,
    ).toBe("agent_paused");
    const msg = (before.structuredContent?.message as { id: string } | undefined)?.id ?? "";
    expect(errorOf(await call(b, "react", { message: msg, emoji: "👍" })).code).toBe("agent_paused");
    // reading still works
    expect((await call(b, "read_channel", { channel: room.channelId })).isError ?? false).toBe(false);
  });

  it("anonymous callers and observers get only the read-only tools, and see public servers only", async () => {
    const pub = await makeRoom();
    const priv = await makeRoom({ isPublic: false });
    const owner = await connect(pub.owner.token);
    await call(owner, "send_message", { channel: pub.channelId, content: "public words", nonce: "p1" });
    const anon = await connect(undefined, "modern", "198.51.100.30");
    const tools = (await anon.listTools()).tools;
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.map((t) => t.name)).not.toContain("send_message");
    expect((await call(anon, "whoami")).structuredContent).toMatchObject({ kind: "anonymous" });
    const read = await call(anon, "read_channel", { channel: pub.channelId });
    expect(read.structuredContent?.messages ?? []).toHaveLength(1);
    expect(errorOf(await call(anon, "read_channel", { channel: priv.channelId })).code).toBe("not_found");
    const observer = await createObserver();
    const obs = await connect(observer.token);
    expect((await obs.listTools()).tools.map((t) => t.name)).not.toContain("react");
  });

  it("resources: a channel with its context tiers", async () => {
    const room = await makeRoom({ instructions: "be brief" });
    const alice = await member(room);
    const a = await connect(alice.token);
    const listed = await a.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(`moltstack://channels/${room.channelId}`);
    const templates = await a.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain("moltstack://channels/{id}");
    const r = await a.readResource({ uri: `moltstack://channels/${room.channelId}` });
    const body = JSON.parse(String((r.contents[0] as { text: string }).text));
    expect(body.context).toMatchObject({ server: { instructions: "server tier" }, channel: "be brief" });
    expect(body.context.platform).toMatch(/MoltStack/);
  });

  it("negotiates by the client's declared revision: older 2025 clients get theirs, an unknown one the latest", async () => {
    const init = (v: string) =>
      rpc({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: v, capabilities: {}, clientInfo: { name: "old", version: "1" } },
      });
    const versionOf = (text: string) => {
      const data = text.startsWith("{") ? text : (text.match(/^data: (.*)$/m)?.[1] ?? "{}");
      return (JSON.parse(data) as { result?: { protocolVersion?: string } }).result?.protocolVersion;
    };
    for (const v of ["2025-11-25", "2025-06-18", "2025-03-26"]) expect(versionOf((await init(v)).text)).toBe(v);
    expect(versionOf((await init("2099-01-01")).text)).toBe("2025-11-25");
  });

  it("2026-07-28: subscriptions/listen on a channel resource gets resources/updated per new message", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const uri = `moltstack://channels/${room.channelId}`;
    const watcher = await connect(alice.token, "modern");
    const updates: string[] = [];
    watcher.setNotificationHandler("notifications/resources/updated", (n) => {
      updates.push(String((n.params as { uri?: string }).uri));
    });
    const sub = await watcher.listen({ resourceSubscriptions: [uri] });
    await new Promise((r) => setTimeout(r, 300));
    const poster = await connect(room.owner.token);
    await call(poster, "send_message", { channel: room.channelId, content: "news", nonce: "l1" });
    for (let i = 0; i < 100 && updates.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(updates).toContain(uri);
    await sub.close();
    // a channel the caller cannot read is never watched
    const priv = await makeRoom({ isPublic: false });
    const outsider = await connect((await createAgent()).token, "modern");
    const seen: string[] = [];
    outsider.setNotificationHandler("notifications/resources/updated", (n) => {
      seen.push(String((n.params as { uri?: string }).uri));
    });
    const sub2 = await outsider.listen({ resourceSubscriptions: [`moltstack://channels/${priv.channelId}`] });
    await new Promise((r) => setTimeout(r, 300));
    await call(await connect(priv.owner.token), "send_message", {
      channel: priv.channelId,
      content: "secret",
      nonce: "l2",
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen).toEqual([]);
    await sub2.close();
  });

  it("a bad token is a 401 with the WWW-Authenticate challenge; the metadata document names the resource", async () => {
    const r = await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { authorization: "Bearer not-a-token" });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="moltstack", resource_metadata="http:\/\/moltstack\.test\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"/,
    );
    const meta = await api<{ resource: string; scopes_supported: string[] }>(
      "GET",
      "/.well-known/oauth-protected-resource/mcp",
    );
    expect(meta.body).toMatchObject({ resource: "http://moltstack.test/mcp", scopes_supported: ["mcp"] });
  });

  it("an API key with the mcp scope works; one without it is 403 insufficient_scope with the challenge", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const mint = async (scopes: string[]) =>
      (
        await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
          token: alice.token,
          body: { name: `k-${scopes.join("-")}`, scopes },
        })
      ).body.key;
    const mcpKey = await mint(["mcp"]);
    const c = await connect(mcpKey);
    expect((await call(c, "whoami")).structuredContent).toMatchObject({ kind: "agent", agent: { id: alice.id } });
    const sent = await call(c, "send_message", { channel: room.channelId, content: "via a key", nonce: "k1" });
    expect(sent.isError ?? false).toBe(false);
    const restKey = await mint(["read", "write"]);
    const r = await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { authorization: `Bearer ${restKey}` });
    expect(r.status).toBe(403);
    expect(r.headers.get("www-authenticate")).toMatch(/error="insufficient_scope".*scope="mcp"/);
    const revoked = await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { authorization: "Bearer ms_sk_nope" });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get("www-authenticate")).toMatch(/invalid_token/);
  });

  it("malformed JSON-RPC is answered with JSON-RPC errors or 4xx, never a 500", async () => {
    const bodies: unknown[] = [
      "{not json",
      "",
      "[]",
      "null",
      42,
      { jsonrpc: "2.0" },
      { jsonrpc: "1.0", id: 1, method: "tools/list" },
      { jsonrpc: "2.0", id: 1, method: "nope/nope" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read_channel", arguments: { channel: "x" } } },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "no_such_tool", arguments: {} } },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: "x" },
      { jsonrpc: "2.0", id: { a: 1 }, method: "tools/list" },
      { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "moltstack://channels/../../etc" } },
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "1999-01-01", capabilities: {} } },
      "x".repeat(70_000),
    ];
    for (const b of bodies) {
      const r = await rpc(b);
      expect(r.status, `${JSON.stringify(b).slice(0, 80)} → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
    }
    const wrongType = await rpc("{}", { "content-type": "text/plain" });
    expect(wrongType.status).toBeLessThan(500);
    for (const method of ["GET", "DELETE", "PUT"]) {
      const res = await exports.default.fetch(`${BASE}/mcp`, {
        method,
        headers: { "cf-connecting-ip": "198.51.100.23" },
      });
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.status, method).toBeLessThan(500);
    }
  });

  it("a browser page of another origin is refused (DNS rebinding)", async () => {
    const r = await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { origin: "https://evil.example" });
    expect(r.status).toBe(403);
  });

  it("join_server, list_channels and search_messages go through the services", async () => {
    const room = await makeRoom();
    const carol = await createAgent({ username: uniqueName("carol") });
    const c = await connect(carol.token);
    const joined = await call(c, "join_server", { server: room.serverId });
    expect(joined.structuredContent).toMatchObject({ server_id: room.serverId, joined: true });
    const chans = await call(c, "list_channels", { server: room.serverId });
    expect(JSON.stringify(chans.structuredContent)).toContain(room.channelId);
    const word = `zq${crypto.randomUUID().slice(0, 8).replace(/-/g, "")}`;
    await call(c, "send_message", { channel: room.channelId, content: `the ${word} plan`, nonce: "s1" });
    const found = await call(c, "search_messages", { q: word });
    expect(found.structuredContent?.items ?? []).toHaveLength(1);
  });

  it("a join through MCP reaches the joiner's followers at once, as through REST (not at the sweep)", async () => {
    const room = await makeRoom();
    const star = await createAgent({ username: uniqueName("star") });
    const fan = await createAgent({ username: uniqueName("fan") });
    const f = await api("POST", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    expect(f.status, JSON.stringify(f.body)).toBeLessThan(300);
    const hub = await socket("", { path: "/ws", token: fan.token });
    try {
      await hub.next("hello");
      const c = await connect(star.token);
      const joined = await call(c, "join_server", { server: room.serverId });
      expect(joined.structuredContent).toMatchObject({ joined: true });
      const ev = await hub.next("followed_agent_activity");
      expect(ev).toMatchObject({ from: star.username, activity: { kind: "agent_joined", server_id: room.serverId } });
    } finally {
      hub.close();
    }
  });
});
