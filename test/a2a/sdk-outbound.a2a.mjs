// Outbound A2A interop (issue 22): the official @a2a-js/sdk as SERVER — a small A2A agent built from the
// SDK's DefaultRequestHandler + JSON-RPC transport — bridged into a MoltStack channel. A member mentions
// the bridged agent; MoltStack sends SendMessage through its Queue (with the peer's bearer token, a stable
// contextId per channel and the channel's context in metadata) and posts the answer as the bridged agent.
import fs from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { AgentCard, Role } from "@a2a-js/sdk";
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  ServerCallContext,
} from "@a2a-js/sdk/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, MoltStackClient } from "../../sdk/src/index";
import { root, startStack } from "../e2e/stack.mjs";
import { randomIp as ip, rest as restAt } from "../support/rest.mjs";

let stack;
let peer;
const seen = [];
const PEER_TOKEN = "peer-secret-token-123";

/** The SDK's own server pieces behind node:http; answers "pong: <text>" as a Message. */
async function startPeer() {
  const card = AgentCard.fromJSON({ name: "pong", description: "answers pong", supportedInterfaces: [], skills: [] });
  const executor = {
    async execute(ctx, bus) {
      const text = ctx.userMessage.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join(" ");
      bus.publish(
        AgentEvent.message({
          messageId: crypto.randomUUID(),
          contextId: ctx.contextId,
          taskId: "",
          role: Role.ROLE_AGENT,
          parts: [
            {
              content: { $case: "text", value: `pong: ${text}` },
              metadata: undefined,
              filename: "",
              mediaType: "text/plain",
            },
          ],
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        }),
      );
      bus.finished();
    },
    async cancelTask() {},
  };
  const transport = new JsonRpcTransportHandler(new DefaultRequestHandler(card, new InMemoryTaskStore(), executor));
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const parsed = JSON.parse(body);
    seen.push({ auth: req.headers.authorization, version: req.headers["a2a-version"], body: parsed });
    if (req.headers.authorization !== `Bearer ${PEER_TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const out = await transport.handle(parsed, new ServerCallContext({ requestedVersion: "1.0" }));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${server.address().port}/a2a/v1` };
}

beforeAll(async () => {
  fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  [stack, peer] = await Promise.all([startStack({ ui: false, reuse: true }), startPeer()]);
});
afterAll(async () => {
  peer?.server.close();
  await stack?.stop();
});

const rest = (method, p, token, body) => restAt(stack.base, method, p, token, body);

describe("a MoltStack channel bridging an @a2a-js/sdk server", () => {
  it("sends a mention as SendMessage and posts the answer as the bridged agent; the token is never shown", async () => {
    const owner = await MoltStackClient.register({
      baseUrl: stack.base,
      username: `br_${Date.now().toString(36)}`,
      key: await generateKey(),
      headers: { "CF-Connecting-IP": ip() },
    });
    const token = owner.tokens.apiToken;
    const server = await owner.createServer({ name: `bridge ${Date.now().toString(36)}` });
    const [channel] = await owner.channels(server.id);
    const name = `pong${Date.now().toString(36).slice(-5)}`;

    // SSRF: a private address is refused like a webhook URL
    const bad = await rest("POST", `/api/v1/channels/${channel.id}/a2a-bridges`, token, {
      name,
      url: "http://10.0.0.1/a2a",
      token: "x",
    });
    expect(bad.status).toBe(400);

    const added = await rest("POST", `/api/v1/channels/${channel.id}/a2a-bridges`, token, {
      name,
      url: peer.url,
      token: PEER_TOKEN,
    });
    expect(added.status).toBe(201);
    expect(JSON.stringify(added.body)).not.toContain(PEER_TOKEN);
    const bridged = added.body.agent.username;
    const listed = await rest("GET", `/api/v1/channels/${channel.id}/a2a-bridges`, token);
    expect(JSON.stringify(listed.body)).not.toContain(PEER_TOKEN);
    const members = await rest("GET", `/api/v1/servers/${server.id}/members`, token);
    expect(JSON.stringify(members.body)).toContain(bridged);

    const posted = await rest("POST", `/api/v1/channels/${channel.id}/messages`, token, {
      content: `@${bridged} ping?`,
    });
    expect(posted.status).toBe(201);

    let reply;
    for (let i = 0; i < 60 && !reply; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const h = await rest("GET", `/api/v1/channels/${channel.id}/messages?limit=10`, token);
      const items = Array.isArray(h.body) ? h.body : (h.body.items ?? h.body.messages ?? []);
      reply = items.find((m) => (m.author?.username ?? m.agent?.username ?? m.username) === bridged);
    }
    expect(reply, JSON.stringify(seen.slice(-1))).toBeTruthy();
    expect(reply.content).toContain("pong:");
    expect(reply.content).toContain("ping?");
    expect(reply.reply_to).toBe(posted.body.id ?? posted.body.message?.id);

    const call = seen.at(-1);
    expect(call.auth).toBe(`Bearer ${PEER_TOKEN}`);
    expect(call.body.method).toBe("SendMessage");
    expect(call.body.params.message.contextId).toBe(`moltstack-${channel.id}`);
    expect(call.body.params.message.metadata.moltstack.channel_id).toBe(channel.id);
  });
});
