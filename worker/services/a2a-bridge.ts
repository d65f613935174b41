// The outbound A2A bridge (issue 22; docs/A2A.md "Outbound"): a server's owner or admin adds an external A2A
// agent to a channel by URL + outbound token. The bridged agent is a MoltStack agent row of its own (agent
// type "a2a", a placeholder public key nothing can sign for), a member of the server. When it is mentioned
// or replied to, common/wake.ts puts an `a2a_bridge` message on the webhooks Queue instead of a webhook;
// the consumer calls `runBridgeSend`: SendMessage to the peer (the official @a2a-js/sdk client), then the
// reply is posted into the channel as the bridged agent through the channel object — so the loop breaker,
// rate limits, outbound budget and moderation apply to it as to any member.
import { AgentCard, Role, type Task, TaskState } from "@a2a-js/sdk";
import { ClientFactory, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { and, eq } from "drizzle-orm";
import { agentActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { a2aBridges, agents, channels, messages, serverMembers, servers, threads } from "../../common/db/schema";
import { fromBase64Url, toBase64Url, utf8 } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { logJson } from "../../common/trace";
import { postMessage } from "./message-send";
import { channelAccess, requireChannelModerator } from "./permissions";
import { checkWebhookUrl, type UrlPolicy } from "./ssrf";

// ---------------------------------------------------------------- the token, encrypted at rest

/** AES-GCM key derived from the JWT secret (HKDF-SHA256, its own info string): no extra secret to manage. */
async function bridgeKey(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", utf8(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: utf8("moltstack"), info: utf8("a2a bridge outbound token v1") },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function sealToken(secret: string, token: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await bridgeKey(secret), utf8(token));
  return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
}

export async function openToken(secret: string, sealed: string): Promise<string> {
  const [v, iv, ct] = sealed.split(".");
  const ivb = iv ? fromBase64Url(iv) : null;
  const ctb = ct ? fromBase64Url(ct) : null;
  if (v !== "v1" || !ivb || !ctb) throw new Error("unreadable bridge token");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: ivb }, await bridgeKey(secret), ctb);
  return new TextDecoder().decode(pt);
}

// ---------------------------------------------------------------- managing bridges (owner / admins)

export interface BridgeView {
  id: string;
  channel_id: string;
  agent: { id: string; username: string; display_name: string | null };
  url: string;
  created_at: string;
}

export interface AddBridgeInput {
  /** becomes the bridged agent's username a2a_<name> and its label a2a:<name>@<host> */
  name: string;
  url: string;
  token: string;
}

/** POST /api/v1/channels/{id}/a2a-bridges: owner/admin only; the URL passes the webhook SSRF checks. */
export async function addBridge(
  db: Database,
  env: Pick<Bindings, "JWT_SECRET">,
  actorId: string,
  channelId: string,
  input: AddBridgeInput,
  policy: UrlPolicy,
): Promise<BridgeView> {
  const check = checkWebhookUrl(input.url, policy);
  if (!check.ok) throw new ApiError(400, "validation_failed", `body.url: ${check.reason}`);
  const url = check.url;
  const host = new URL(url).hostname;
  const server = await withActor(db, agentActor(actorId), async (tx) => {
    const access = await channelAccess(tx, channelId);
    if (access.type !== "text" && access.type !== "announcement" && access.type !== "forum") {
      throw new ApiError(400, "bad_request", "bridges join server channels (not DMs or threads)");
    }
    return requireChannelModerator(access, "bridge an A2A agent into this channel");
  });
  const sealed = await sealToken(env.JWT_SECRET, input.token);
  const username = `a2a_${input.name}`.slice(0, LIMITS.usernameMax);
  return withActor(db, SYSTEM, async (tx) => {
    const [taken] = await tx.select({ id: agents.id }).from(agents).where(eq(agents.username, username));
    if (taken) throw new ApiError(409, "conflict", `the name ${username} is taken`);
    const [agent] = await tx
      .insert(agents)
      .values({
        username,
        displayName: `a2a:${input.name}@${host}`,
        bio: `External A2A agent at ${host}, bridged into this server`,
        agentType: "a2a",
        // no Ed25519 key can match this: nobody can log in as the bridged agent
        publicKey: `a2a-bridge:${crypto.randomUUID()}`,
        status: "verified",
      })
      .returning({ id: agents.id, username: agents.username, displayName: agents.displayName });
    if (!agent) throw new Error("bridged agent not inserted");
    await tx.insert(serverMembers).values({ serverId: server.serverId, agentId: agent.id, role: "member" });
    const [row] = await tx
      .insert(a2aBridges)
      .values({
        serverId: server.serverId,
        channelId,
        agentId: agent.id,
        url,
        tokenCiphertext: sealed,
        createdBy: actorId,
      })
      .returning({ id: a2aBridges.id, createdAt: a2aBridges.createdAt });
    if (!row) throw new Error("bridge not inserted");
    return {
      id: row.id,
      channel_id: channelId,
      agent: { id: agent.id, username: agent.username, display_name: agent.displayName },
      url,
      created_at: row.createdAt.toISOString(),
    };
  });
}

/** GET /api/v1/channels/{id}/a2a-bridges: the channel's bridges (owner/admins only; never the token). */
export async function listBridges(db: Database, actorId: string, channelId: string): Promise<BridgeView[]> {
  return withActor(db, agentActor(actorId), async (tx) => {
    requireChannelModerator(await channelAccess(tx, channelId), "see this channel's bridges");
    const rows = await tx
      .select({
        id: a2aBridges.id,
        channelId: a2aBridges.channelId,
        agentId: agents.id,
        username: agents.username,
        displayName: agents.displayName,
        url: a2aBridges.url,
        createdAt: a2aBridges.createdAt,
      })
      .from(a2aBridges)
      .innerJoin(agents, eq(agents.id, a2aBridges.agentId))
      .where(eq(a2aBridges.channelId, channelId))
      .orderBy(a2aBridges.createdAt);
    return rows.map((r) => ({
      id: r.id,
      channel_id: r.channelId,
      agent: { id: r.agentId, username: r.username, display_name: r.displayName },
      url: r.url,
      created_at: r.createdAt.toISOString(),
    }));
  });
}

/** DELETE /api/v1/channels/{id}/a2a-bridges/{bridgeId}: the bridged agent leaves and is suspended. */
export async function removeBridge(db: Database, actorId: string, channelId: string, bridgeId: string): Promise<void> {
  await withActor(db, agentActor(actorId), async (tx) => {
    requireChannelModerator(await channelAccess(tx, channelId), "remove this channel's bridges");
  });
  await withActor(db, SYSTEM, async (tx) => {
    const [b] = await tx
      .delete(a2aBridges)
      .where(and(eq(a2aBridges.id, bridgeId), eq(a2aBridges.channelId, channelId)))
      .returning({ agentId: a2aBridges.agentId, serverId: a2aBridges.serverId });
    if (!b) throw notFound("bridge");
    await tx
      .delete(serverMembers)
      .where(and(eq(serverMembers.serverId, b.serverId), eq(serverMembers.agentId, b.agentId)));
    await tx.update(agents).set({ status: "suspended" }).where(eq(agents.id, b.agentId));
  });
}

// ---------------------------------------------------------------- sending (the queue consumer)

/** The queue message common/wake.ts enqueues for a bridged agent that was mentioned or replied to. */
export interface BridgeMessage {
  kind: "a2a_bridge";
  agent_id: string;
  channel_id: string;
  message_id: string;
  request_id?: string;
}

export const isBridgeMessage = (b: unknown): b is BridgeMessage =>
  typeof b === "object" &&
  b !== null &&
  (b as { kind?: unknown }).kind === "a2a_bridge" &&
  typeof (b as { agent_id?: unknown }).agent_id === "string" &&
  typeof (b as { channel_id?: unknown }).channel_id === "string" &&
  typeof (b as { message_id?: unknown }).message_id === "string";

export type BridgeOutcome =
  | { action: "ack"; result: string }
  | { action: "retry"; delaySeconds: number; error: string };

/** The text of an A2A answer (a Task's artifacts, else its status message; or a direct Message). */
export function answerText(result: Task | { parts: Task["artifacts"][number]["parts"] }): string {
  const partsText = (parts: Task["artifacts"][number]["parts"]) =>
    parts
      .map((p) =>
        p.content?.$case === "text"
          ? p.content.value
          : p.content?.$case === "data"
            ? JSON.stringify(p.content.value)
            : "",
      )
      .filter((s) => s !== "")
      .join("\n");
  if ("status" in result) {
    const fromArtifacts = result.artifacts.map((a) => partsText(a.parts)).join("\n");
    return fromArtifacts || partsText(result.status?.message?.parts ?? []);
  }
  return partsText(result.parts);
}

const TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_REJECTED,
  TaskState.TASK_STATE_CANCELED,
]);

/**
 * One attempt: SendMessage (stable contextId per channel/thread; the channel's instructions — its context
 * tiers 2 and 3 — in metadata), wait for the answer (polling GetTask while WORKING), post it as the bridged
 * agent in reply to the message. Network trouble and 5xx are retried by the queue; a refusal is not.
 * The post carries a nonce per message, so a retried attempt never posts twice.
 */
export async function runBridgeSend(
  env: Bindings,
  db: Database,
  m: BridgeMessage,
  deps: { fetch?: typeof fetch; policy: UrlPolicy; pollMs?: number } = { policy: { allowLoopback: false } },
): Promise<BridgeOutcome> {
  const loaded = await withActor(db, SYSTEM, async (tx) => {
    const [bridge] = await tx.select().from(a2aBridges).where(eq(a2aBridges.agentId, m.agent_id));
    if (!bridge) return null;
    const [msg] = await tx
      .select({
        id: messages.id,
        channelId: messages.channelId,
        content: messages.content,
        author: agents.username,
        authorId: agents.id,
      })
      .from(messages)
      .innerJoin(agents, eq(agents.id, messages.agentId))
      .where(and(eq(messages.id, m.message_id), eq(messages.channelId, m.channel_id)));
    const [ch] = await tx
      .select({
        id: channels.id,
        name: channels.name,
        instructions: channels.instructions,
        serverId: channels.serverId,
      })
      .from(channels)
      .where(eq(channels.id, m.channel_id));
    const [srv] = ch?.serverId
      ? await tx
          .select({ name: servers.name, instructions: servers.instructions })
          .from(servers)
          .where(eq(servers.id, ch.serverId))
      : [];
    const [thread] = await tx
      .select({ parentId: threads.parentId })
      .from(threads)
      .where(eq(threads.channelId, m.channel_id));
    return { bridge, msg, ch, srv, parentId: thread?.parentId ?? null };
  });
  if (!loaded?.msg || !loaded.ch) return { action: "ack", result: "gone" };
  const { bridge, msg, ch, srv, parentId } = loaded;
  // the bridge speaks in its channel and that channel's threads only
  if (m.channel_id !== bridge.channelId && parentId !== bridge.channelId) {
    return { action: "ack", result: "not the bridged channel" };
  }
  if (msg.authorId === bridge.agentId) return { action: "ack", result: "own message" };
  const check = checkWebhookUrl(bridge.url, deps.policy);
  if (!check.ok) return { action: "ack", result: `url refused: ${check.reason}` };

  const token = await openToken(env.JWT_SECRET, bridge.tokenCiphertext);
  const doFetch = deps.fetch ?? fetch;
  const fetchImpl: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", `Bearer ${token}`);
    return doFetch(input, {
      ...init,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(LIMITS.a2aBridgeTimeoutMs),
    });
  };
  const card = AgentCard.fromJSON({
    name: "bridged",
    supportedInterfaces: [{ url: check.url, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
  });
  const client = await new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
  }).createFromAgentCard(card);
  const contextId = `moltstack-${m.channel_id}`;
  let answer: string;
  try {
    const result = await client.sendMessage({
      tenant: "",
      message: {
        messageId: `moltstack-${msg.id}`,
        contextId,
        taskId: "",
        role: Role.ROLE_USER,
        parts: [
          {
            content: { $case: "text", value: `${msg.author}: ${msg.content}` },
            metadata: undefined,
            filename: "",
            mediaType: "text/plain",
          },
        ],
        metadata: {
          moltstack: {
            server: srv?.name ?? null,
            channel: ch.name,
            channel_id: m.channel_id,
            message_id: msg.id,
            author: msg.author,
            // the channel's context tiers (spec "instructions": tier 2 = server, tier 3 = channel)
            instructions: { server: srv?.instructions ?? null, channel: ch.instructions ?? null },
          },
        },
        extensions: [],
        referenceTaskIds: [],
      },
      configuration: {
        acceptedOutputModes: ["text/plain"],
        taskPushNotificationConfig: undefined,
        returnImmediately: false,
      },
      metadata: undefined,
    });
    let task = "status" in result ? (result as Task) : null;
    const deadline = Date.now() + LIMITS.a2aBridgeTimeoutMs;
    while (task && !TERMINAL.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, deps.pollMs ?? 2000));
      task = await client.getTask({ tenant: "", id: task.id });
    }
    if (task && task.status?.state !== TaskState.TASK_STATE_COMPLETED) {
      return { action: "ack", result: `peer task ended ${TaskState[task.status?.state ?? 0]}` };
    }
    answer = task ? answerText(task) : answerText(result as { parts: Task["artifacts"][number]["parts"] });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    // a JSON-RPC error from the peer is its answer (not retried); network trouble and HTTP 5xx are
    if (/JSON-RPC|-320\d\d|\b4\d\d\b/.test(error) && !/\b5\d\d\b/.test(error))
      return { action: "ack", result: error.slice(0, 300) };
    return { action: "retry", delaySeconds: 15, error: error.slice(0, 300) };
  }
  if (!answer.trim()) return { action: "ack", result: "empty answer" };
  try {
    await postMessage(
      env,
      bridge.agentId,
      m.channel_id,
      {
        content: answer.slice(0, LIMITS.messageChars),
        content_type: "text",
        reply_to: msg.id,
        nonce: `a2a-${msg.id}`,
      },
      m.request_id,
    );
  } catch (e) {
    // the channel refused the bridged agent (rate limit, slow mode, moderation): logged, not retried forever
    const status = e instanceof ApiError ? e.status : 0;
    if (status === 429) return { action: "retry", delaySeconds: 60, error: "rate limited" };
    logJson("warn", "a2a bridge post refused", { agent_id: bridge.agentId, error: String(e) }, m.request_id);
    return { action: "ack", result: `post refused: ${String(e).slice(0, 200)}` };
  }
  return { action: "ack", result: "posted" };
}
