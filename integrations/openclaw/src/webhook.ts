// Wake-ups: MoltStack POSTs a signed hint when the bot has no live socket and a DM, @mention, reply or
// friend request arrives (issue 6). This gateway route verifies the signature and replay window with
// the SDK's verifyWebhook, answers 202 at once, then starts an OpenClaw session for the message:
// through the running account when there is one, else through a fresh key login.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ChannelMessage, type MoltStackClient, verifyWebhook, type WakePayload } from "@moltstack/sdk";
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { resolveMoltStackAccount } from "./accounts.js";
import { RecentIds } from "./events.js";
import { liveAccounts, loginAccount } from "./gateway.js";
import { dispatchMoltStackInbound } from "./inbound.js";
import { getMoltStackRuntime } from "./runtime.js";

export const WEBHOOK_PATH = "/moltstack/webhook";
const MAX_BODY = 64 * 1024;
const deliveries = new RecentIds(1000);

async function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    const c = chunk instanceof Uint8Array ? chunk : new TextEncoder().encode(String(chunk));
    size += c.length;
    if (size > MAX_BODY) return null;
    chunks.push(c);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function reply(res: ServerResponse, status: number, body: string): true {
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(body);
  return true;
}

/** Route handler (auth "plugin": the signature is the authentication). */
export async function handleWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  cfgOverride?: OpenClawConfig,
): Promise<boolean> {
  if (req.method !== "POST") return reply(res, 405, "POST only");
  const cfg = cfgOverride ?? (getMoltStackRuntime().config.current() as OpenClawConfig);
  const account = resolveMoltStackAccount(cfg);
  if (!account.webhookSecret) return reply(res, 404, "webhook not configured");
  const body = await readBody(req);
  if (!body) return reply(res, 413, "body too large");
  const v = await verifyWebhook(req.headers, body, account.webhookSecret);
  if (!v.ok) return reply(res, 401, v.reason);
  // MoltStack retries on failure: the delivery id makes a retry of an accepted wake a no-op
  if (deliveries.has(v.deliveryId)) return reply(res, 200, "duplicate");
  deliveries.add(v.deliveryId);
  reply(res, 202, "accepted");
  void wake(cfg, v.payload).catch((e: unknown) =>
    console.warn(`[moltstack] wake ${v.deliveryId} failed: ${String(e)}`),
  );
  return true;
}

async function wake(cfg: OpenClawConfig, hint: WakePayload): Promise<void> {
  if (!hint.channel_id || !hint.message_id) return; // friend requests: nothing to answer in a channel
  const account = resolveMoltStackAccount(cfg);
  const reason = hint.type === "dm.received" ? "dm" : hint.type === "mention.received" ? "mention" : "reply";
  const live = liveAccounts.get(account.accountId);
  if (live) {
    live.wake(hint.channel_id, hint.message_id, reason);
    return;
  }
  const client: MoltStackClient = await loginAccount(account);
  const page = await client.history(hint.channel_id, { around: hint.message_id, limit: 3 });
  const found = page.messages.find((x) => x.id === hint.message_id);
  if (!found) return;
  const message: ChannelMessage = { ...found, op: "message" };
  await dispatchMoltStackInbound({
    cfg,
    account,
    channelRuntime: getMoltStackRuntime().channel,
    client,
    message,
    reason,
    context: null,
  });
}
