// gateway.startAccount: the bot's live MoltStack connection through @moltstack/sdk — ONE gateway socket
// per account (GET /ws, the spec's "WebSocket Protocol"):
//  - opted-in channels and DM channels are subscriptions on it, resumed from the saved cursors
//    (cursors.ts, `after_seq`) so a restarted gateway gets exactly the messages it missed;
//  - everything else that concerns the bot (DMs, @mentions, replies) arrives on the same socket as
//    personal events and is fetched by id; its channel's instructions come from REST (cached) when no
//    subscription delivered them.
// The bot's own messages never start a turn (events.ts).
import { type ChannelMessage, type MoltStackClient, PLATFORM_INSTRUCTIONS } from "@moltstack/sdk";
import type { ChannelGatewayContext } from "openclaw/plugin-sdk/channel-contract";
import { waitUntilAbort } from "openclaw/plugin-sdk/channel-outbound";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import type { ResolvedMoltStackAccount } from "./accounts.js";
import type { ContextTiers } from "./context.js";
import { CursorStore } from "./cursors.js";
import { RecentIds, type TurnReason, turnReason } from "./events.js";
import { type ChannelRuntime, dispatchMoltStackInbound } from "./inbound.js";
import { tryGetMoltStackRuntime } from "./runtime.js";
import { openSession } from "./session.js";

/** What the webhook route and outbound adapter reuse while an account is running. */
export interface LiveAccount {
  client: MoltStackClient;
  handle(message: ChannelMessage, reason: TurnReason): Promise<void>;
  fetchMessage(channelId: string, messageId: string): Promise<ChannelMessage | null>;
  /** queue a woken message: it is processed by the account's own loop (see wakePump) */
  wake(channelId: string, messageId: string, reason: TurnReason): void;
}

/**
 * Wake-ups arrive in an HTTP request of the gateway; a turn started from that request's async context
 * is refused once the response has ended ("Gateway is draining"). So the route only queues the work
 * and this loop, running in the account's own context (startAccount), does it.
 */
function wakePump(
  signal: AbortSignal,
  work: (channelId: string, messageId: string, reason: TurnReason) => Promise<void>,
) {
  const queue: { channelId: string; messageId: string; reason: TurnReason }[] = [];
  let wakeUp: (() => void) | null = null;
  void (async () => {
    while (!signal.aborted) {
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wakeUp = null;
        continue;
      }
      await work(item.channelId, item.messageId, item.reason).catch(() => undefined);
    }
  })();
  return (channelId: string, messageId: string, reason: TurnReason) => {
    queue.push({ channelId, messageId, reason });
    wakeUp?.();
  };
}
export const liveAccounts = new Map<string, LiveAccount>();

/** A logged-in client for the account (saved session first: see session.ts). */
export const loginAccount = (account: ResolvedMoltStackAccount): Promise<MoltStackClient> => openSession(account);

export const cursorPath = (accountId: string) => `${resolveStateDir()}/moltstack/${accountId}.cursors.json`;

export async function startMoltStackAccount(ctx: ChannelGatewayContext<ResolvedMoltStackAccount>): Promise<void> {
  const { account } = ctx;
  if (!account.configured) throw new Error(`MoltStack account "${account.accountId}" is not configured`);
  const channelRuntime =
    (ctx.channelRuntime as unknown as ChannelRuntime | undefined) ?? tryGetMoltStackRuntime()?.channel;
  if (!channelRuntime) throw new Error("MoltStack: no channel runtime from the host");
  const log = (m: string) => ctx.log?.info?.(`[moltstack:${account.accountId}] ${m}`);
  const client = await loginAccount(account);
  const selfId = client.agentId;
  const cursors = await new CursorStore(cursorPath(account.accountId)).load();
  const own = new RecentIds();
  const seen = new RecentIds(5000);
  const dmChannels = new Set<string>();
  const optedIn = new Set(account.channels);
  const contexts = new Map<string, { tiers: ContextTiers; at: number }>();

  async function contextFor(channelId: string): Promise<ContextTiers | null> {
    const hit = contexts.get(channelId);
    if (hit && Date.now() - hit.at < 5 * 60_000) return hit.tiers;
    try {
      const ch = await client.call("GET /api/v1/channels/{id}", { path: { id: channelId } });
      const server = ch.server_id
        ? await client.call("GET /api/v1/servers/{id}", { path: { id: ch.server_id } })
        : null;
      const tiers = { platform: PLATFORM_INSTRUCTIONS, server: server?.instructions ?? null, channel: ch.instructions };
      contexts.set(channelId, { tiers, at: Date.now() });
      return tiers;
    } catch {
      return hit?.tiers ?? null;
    }
  }

  async function handle(message: ChannelMessage, reason: TurnReason): Promise<void> {
    if (seen.has(message.id) || message.agent.id === selfId) return;
    seen.add(message.id);
    await dispatchMoltStackInbound({
      cfg: ctx.cfg,
      account,
      channelRuntime: channelRuntime as ChannelRuntime,
      client,
      message,
      reason,
      context: await contextFor(message.channel),
      onPosted: (id) => own.add(id),
      log,
    }).catch((e: unknown) =>
      ctx.log?.warn?.(`[moltstack] dispatch failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  async function fetchMessage(channelId: string, messageId: string): Promise<ChannelMessage | null> {
    const page = await client.history(channelId, { around: messageId, limit: 3 });
    const m = page.messages.find((x) => x.id === messageId);
    return m ? { ...m, op: "message" } : null;
  }

  const wake = wakePump(ctx.abortSignal, async (channelId, messageId, reason) => {
    const m = await fetchMessage(channelId, messageId);
    if (m) await handle(m, reason);
  });
  if (account.mode === "wake") {
    // asleep by design: no socket, so MoltStack sends wake-ups (webhook.ts) that land here
    liveAccounts.set(account.accountId, { client, handle, fetchMessage, wake });
    ctx.setStatus({ accountId: account.accountId, running: true, configured: true, enabled: account.enabled });
    log(`connected as @${account.username} (${selfId}) in wake mode: turns start from webhooks only`);
    try {
      await waitUntilAbort(ctx.abortSignal);
    } finally {
      liveAccounts.delete(account.accountId);
      ctx.setStatus({ accountId: account.accountId, running: false, connected: false });
    }
    return;
  }
  const perspective = () => ({ selfId, optedIn, dmChannels, ownMessageIds: own.set });
  const connected = () =>
    ctx.setStatus({ accountId: account.accountId, running: true, connected: true, lastConnectedAt: Date.now() });
  // one gateway socket; each watched channel (opted-in or DM) a subscription resumed from its cursor
  const gw = client.gateway();
  const watched = new Set<string>();
  // registered before any await: the socket may open while the DM list loads
  gw.on("open", () => {
    connected();
    log(`gateway open: ${watched.size} subscription(s); DMs, mentions and replies are live`);
  });
  gw.on("context", (c) => {
    if (c.channel_id) contexts.set(c.channel_id, { tiers: c, at: Date.now() });
  });
  gw.on("message", (m) => {
    if (!watched.has(m.channel)) return;
    cursors.advance(m.channel, m.seq);
    const reason = turnReason(m, perspective());
    if (reason) void handle(m, reason);
  });
  gw.on("unsubscribed", (u) => {
    if (u.reason !== "requested")
      log(`channel ${u.channel} unsubscribed (${u.reason}${u.message ? `: ${u.message}` : ""})`);
  });
  gw.on("close", (c) => log(`gateway closed (${c.code}${c.reconnecting ? ", reconnecting" : ""})`));
  function watch(id: string, afterSeq?: number): void {
    if (watched.has(id)) return;
    watched.add(id);
    const after = afterSeq ?? cursors.get(id);
    gw.subscribe(id, after === undefined ? {} : { afterSeq: after }).catch((e: unknown) => {
      watched.delete(id);
      log(`could not subscribe to ${id}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  for (const id of optedIn) watch(id);
  // DMs are watched like opted-in channels, so a DM sent while the gateway was down is not lost
  async function watchDms(): Promise<void> {
    const friends = await client.call("GET /api/v1/friends", { query: { limit: 100 } });
    const lastRun = cursors.lastSeen;
    for (const f of friends.items) {
      if (!f?.dm_channel_id) continue;
      dmChannels.add(f.dm_channel_id);
      // a friendship made while the gateway was down: everything in its DM channel is new to the bot
      const newSinceLastRun =
        lastRun !== null && Date.parse(f.since) > lastRun && cursors.get(f.dm_channel_id) === undefined;
      watch(f.dm_channel_id, newSinceLastRun ? 0 : undefined);
    }
  }
  // personal events are handled from the start (the socket is already opening), then the DM list loads
  gw.on("friend_accepted", () => void watchDms().catch(() => undefined));
  for (const type of ["dm", "mention", "reply"] as const) {
    gw.on(type, (ev) => {
      if (!ev.channel_id || !ev.message_id) return;
      const channelId = ev.channel_id;
      // watched channels deliver these through their subscription
      if (watched.has(channelId)) return;
      void fetchMessage(channelId, ev.message_id).then(async (m) => {
        if (!m) return;
        if (type === "dm") {
          dmChannels.add(channelId);
          watch(channelId, m.seq);
        }
        await handle(m, type);
      });
    });
  }
  await watchDms().catch((e: unknown) => log(`could not list DM channels: ${String(e)}`));
  liveAccounts.set(account.accountId, { client, handle, fetchMessage, wake });
  ctx.setStatus({ accountId: account.accountId, running: true, configured: true, enabled: account.enabled });
  log(`connected as @${account.username} (${selfId}); ${optedIn.size} opted-in channel(s), ${dmChannels.size} DM(s)`);
  try {
    await waitUntilAbort(ctx.abortSignal);
  } finally {
    liveAccounts.delete(account.accountId);
    gw.close();
    await cursors.flush().catch(() => undefined);
    ctx.setStatus({ accountId: account.accountId, running: false, connected: false });
  }
}
