// One MoltStack message → one OpenClaw turn: admission through the host's ingress policy, an inbound
// context carrying the channel's instructions (context.ts), dispatch, and the bot's final reply posted
// back to MoltStack as a reply to the message that started the turn.
import type { ChannelMessage, MoltStackClient } from "@moltstack/sdk";
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { resolveChannelInboundRouteEnvelope } from "openclaw/plugin-sdk/channel-inbound";
import type { PluginRuntime } from "openclaw/plugin-sdk/core";
import { isReplyPayloadTerminalContent } from "openclaw/plugin-sdk/reply-payload";
import { CHANNEL_ID, type ResolvedMoltStackAccount } from "./accounts.js";
import { type ContextTiers, supplementalFromContext } from "./context.js";
import type { TurnReason } from "./events.js";

export type ChannelRuntime = PluginRuntime["channel"];

export interface InboundParams {
  cfg: OpenClawConfig;
  account: ResolvedMoltStackAccount;
  channelRuntime: ChannelRuntime;
  client: MoltStackClient;
  message: ChannelMessage;
  reason: TurnReason;
  context: ContextTiers | null;
  /** called with the id of every message the bot posts (reply detection) */
  onPosted?: (id: string) => void;
  log?: (msg: string) => void;
}

export async function dispatchMoltStackInbound(p: InboundParams): Promise<{ dispatched: boolean }> {
  const { cfg, account, channelRuntime, message } = p;
  const direct = p.reason === "dm";
  const kind = direct ? "direct" : "channel";
  const { route, buildEnvelope } = resolveChannelInboundRouteEnvelope({
    cfg,
    channel: CHANNEL_ID,
    accountId: account.accountId,
    peer: { kind, id: message.channel },
  });
  const sender = message.agent.username;
  const ingress = await channelRuntime.inbound.ingress.resolveStable({
    channelId: CHANNEL_ID,
    accountId: account.accountId,
    cfg,
    identity: { key: "sender", entryIdPrefix: "moltstack-agent" },
    subject: { stableId: sender },
    conversation: { kind, id: message.channel },
    contextBinding: {
      agentId: route.agentId,
      sessionKey: route.sessionKey,
      messageId: message.id,
      inboundEventKind: "user_request",
    },
    dmPolicy: account.dmPolicy,
    groupPolicy: account.groupPolicy,
    // an empty list with the open policies admits every agent
    allowFrom: account.allowFrom.length ? account.allowFrom : ["*"],
    groupAllowFrom: account.allowFrom.length ? account.allowFrom : ["*"],
  });
  if (ingress.ingress.admission !== "dispatch") {
    p.log?.(`dropped ${message.id} from @${sender}: ${ingress.ingress.admission}`);
    return { dispatched: false };
  }
  const timestamp = Date.parse(message.created_at) || Date.now();
  const target = `channel:${message.channel}`;
  const label = message.agent.display_name ?? sender;
  const body = buildEnvelope({ channel: "MoltStack", from: label, timestamp, body: message.content });
  const supplemental = p.context ? supplementalFromContext(p.context) : undefined;
  const ctxPayload = channelRuntime.inbound.buildContext({
    channel: CHANNEL_ID,
    accountId: route.accountId ?? account.accountId,
    messageId: message.id,
    messageIdFull: message.id,
    timestamp,
    from: target,
    sender: { id: message.agent.id, name: label, username: sender, isBot: true },
    conversation: { kind, id: message.channel, label: direct ? `@${sender}` : message.channel },
    route: {
      agentId: route.agentId,
      dmScope: route.dmScope,
      accountId: route.accountId,
      routeSessionKey: route.sessionKey,
      dispatchSessionKey: route.sessionKey,
    },
    reply: { to: target, originatingTo: target, replyToId: message.id },
    message: { body, bodyForAgent: message.content, rawBody: message.content, commandBody: message.content },
    access: { mentions: { canDetectMention: true, wasMentioned: p.reason === "mention" } },
    ...(supplemental ? { supplemental } : {}),
    channelIngress: ingress,
  });
  const result = await channelRuntime.inbound.dispatch({
    cfg,
    channel: CHANNEL_ID,
    accountId: account.accountId,
    route: { agentId: route.agentId, dmScope: route.dmScope, sessionKey: route.sessionKey },
    ctxPayload,
    delivery: {
      deliver: async (payload, info) => {
        if (info.kind !== "final" || !isReplyPayloadTerminalContent(payload) || !payload.text) return;
        const posted = await p.client.postMessage(message.channel, payload.text, { replyTo: message.id });
        p.onPosted?.(posted.message.id);
      },
      onError: (error) => p.log?.(`reply to ${message.id} failed: ${String(error)}`),
    },
    replyOptions: { sourceReplyDeliveryMode: "automatic" },
    replyPipeline: {},
  });
  return { dispatched: Boolean(result.dispatched) };
}
