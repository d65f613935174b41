// Issue 20 proof (b): a REAL third-party Moltbook client from the npm registry drives MoltStack's Moltbook
// layer through a whole scenario. The client is `moltbook-http-mcp` (an MCP server exposing 41 Moltbook
// tools: register, posts, comments, votes, submolts, feed, search, DMs), run as its own process over
// stdio exactly as an IDE runs it, and driven with the official MCP SDK client. Its only change is the
// base URL (base-url.mjs): the package hard-codes Moltbook's. The claim goes through MoltStack's owner
// flow: an observer account confirms the pairing code over REST.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, startStack } from "../e2e/stack.mjs";

const BIN = path.join(root, "node_modules", "moltbook-http-mcp", "dist", "cli.js");
const SHIM = path.join(root, "test", "moltbook-client", "base-url.mjs");

let stack;
const clients = [];

/** The npm client as its own process, with `apiKey` in MOLTBOOK_API_KEY as its README says. */
async function moltbookClient(apiKey) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", SHIM, BIN, "--stdio"],
    cwd: os.tmpdir(),
    env: {
      ...process.env,
      MOLTBOOK_API_KEY: apiKey ?? "",
      MOLTBOOK_BASE_URL_OVERRIDE: `${stack.base}/moltbook/api/v1`,
    },
    stderr: "pipe",
  });
  const client = new Client({ name: "moltstack-moltbook-proof", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  /** Call a tool; its answer is the Moltbook API's JSON body (the client's own text output). */
  const call = async (name, args = {}) => {
    const r = await client.callTool({ name, arguments: args });
    const text = r.content?.[0]?.text ?? "";
    if (r.isError) throw new Error(`${name}: ${text}`);
    return JSON.parse(text);
  };
  return { client, call };
}

async function rest(method, p, { token, body } = {}) {
  const res = await fetch(`${stack.base}${p}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A human owner: an observer account that confirms the agent's pairing code (issue 19's owner flow). */
async function claim(verificationCode) {
  const email = `owner-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = "correct horse battery staple";
  const reg = await rest("POST", "/api/v1/observers/register", { body: { email, password, display_name: "Owner" } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const login = await rest("POST", "/api/v1/observers/login", { body: { email, password } });
  expect(login.status).toBe(200);
  const ok = await rest("POST", `/api/v1/owners/pairing/${encodeURIComponent(verificationCode)}/confirm`, {
    token: login.body.api_token,
  });
  expect(ok.status, JSON.stringify(ok.body)).toBeLessThan(300);
}

beforeAll(async () => {
  // the API alone is needed; wrangler still wants the assets directory (built by the UI suites in CI)
  fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  // MOLTSTACK_URL (npm run test:proofs) points it at an already started stack
  stack = await startStack({ ui: false, reuse: true });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await stack?.stop();
});

describe("a real npm Moltbook client (moltbook-http-mcp) against MoltStack", () => {
  it("register, claim, submolt, post, comment, reply, vote, feed, search, DM", async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    // ---- register two agents with the client (no key yet: the register tool needs none)
    const anon = await moltbookClient(undefined);
    const tools = (await anon.client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(
      expect.arrayContaining(["moltbook_agent_register", "moltbook_post_create", "moltbook_dm_send"]),
    );
    const regA = await anon.call("moltbook_agent_register", { name: `reef_${tag}`, description: "tide reader" });
    const regB = await anon.call("moltbook_agent_register", { name: `kelp_${tag}`, description: "kelp farmer" });
    expect(regA.agent.api_key).toMatch(/^ms_sk_/);
    const a = await moltbookClient(regA.agent.api_key);
    const b = await moltbookClient(regB.agent.api_key);

    // ---- pending_claim may read, not write; the owner's confirmation claims it
    expect((await a.call("moltbook_agent_status")).status).toBe("pending_claim");
    await expect(a.call("moltbook_submolt_create", { name: `tide_${tag}`, display_name: "Tides" })).rejects.toThrow(
      /claim/i,
    );
    await claim(regA.agent.verification_code);
    await claim(regB.agent.verification_code);
    expect((await a.call("moltbook_agent_status")).status).toBe("claimed");
    expect((await b.call("moltbook_agent_me")).agent.is_claimed).toBe(true);

    // ---- submolt, post, comment, reply, vote
    const sub = await a.call("moltbook_submolt_create", {
      name: `tide_${tag}`,
      display_name: "Tides",
      description: "all about tides",
    });
    expect(sub.submolt.name).toBe(`tide_${tag}`);
    expect((await b.call("moltbook_submolt_subscribe", { name: `tide_${tag}` })).action).toBe("subscribed");
    const word = `spring${tag}`;
    const post = await a.call("moltbook_post_create", {
      submolt: `tide_${tag}`,
      title: "Spring tides",
      content: `The ${word} tide is high`,
    });
    const postId = post.post.id;
    const comment = await b.call("moltbook_comment_add", { post_id: postId, content: "Lovely observation" });
    const reply = await a.call("moltbook_comment_add", {
      post_id: postId,
      content: "Thanks!",
      parent_id: comment.comment.id,
    });
    expect(reply.comment.depth).toBe(1);
    expect((await b.call("moltbook_post_upvote", { post_id: postId })).action).toBe("upvoted");
    expect((await a.call("moltbook_comment_upvote", { comment_id: comment.comment.id })).action).toBe("upvoted");
    const tree = await a.call("moltbook_comments_list", { post_id: postId, sort: "top" });
    expect(tree.comments[0].replies[0].id).toBe(reply.comment.id);
    expect((await a.call("moltbook_post_get", { post_id: postId })).post.upvotes).toBe(1);

    // ---- feed and search
    const feed = await b.call("moltbook_feed", { sort: "new", limit: 10 });
    expect(feed.posts.map((p) => p.id)).toContain(postId);
    const listed = await b.call("moltbook_posts_list", { submolt: `tide_${tag}`, sort: "hot" });
    expect(listed.data.map((p) => p.id)).toContain(postId);
    const found = await b.call("moltbook_search", { q: word, type: "posts", limit: 5 });
    expect(found.results.map((r) => r.id)).toContain(postId);

    // ---- DMs: request, approve, conversation, send
    const req = await a.call("moltbook_dm_request", { to: `kelp_${tag}`, message: "Shall we compare tide tables?" });
    const check = await b.call("moltbook_dm_check");
    expect(check.has_activity).toBe(true);
    const pending = check.requests.items.find((i) => i.from.name === `reef_${tag}`);
    expect(pending.conversation_id).toBe(req.conversation_id);
    const approved = await b.call("moltbook_dm_approve", { conversation_id: pending.conversation_id });
    const convs = await a.call("moltbook_dm_conversations");
    expect(convs.conversations.items.map((c) => c.conversation_id)).toContain(approved.conversation_id);
    await b.call("moltbook_dm_send", { conversation_id: approved.conversation_id, message: "Yes, gladly." });
    const thread = await a.call("moltbook_dm_conversation", { conversation_id: approved.conversation_id });
    expect(thread.messages.map((m) => m.message)).toEqual(["Shall we compare tide tables?", "Yes, gladly."]);

    // ---- the same post is a MoltStack forum thread, on the native API
    const forum = sub.submolt.moltstack.forum_channel_id;
    const native = await rest("GET", `/api/v1/channels/${forum}/posts?sort=new`);
    expect(native.body.items.map((t) => t.id)).toContain(postId);
  });
});
