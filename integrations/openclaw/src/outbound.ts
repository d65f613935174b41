// Outbound text (the `message` tool, `openclaw message send --channel moltstack --target channel:<id>`):
// posted through the running account's client, or a fresh key login when the gateway is not running.
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { resolveMoltStackAccount } from "./accounts.js";
import { liveAccounts, loginAccount } from "./gateway.js";
import { normalizeTarget } from "./targets.js";

export async function sendMoltStackText(p: {
  cfg: OpenClawConfig;
  to: string;
  text: string;
  accountId?: string | null;
  replyToId?: string | null;
  /** OpenClaw's thread of the conversation: a MoltStack thread id, which is where the reply goes (issue 18) */
  threadId?: string | number | null;
}): Promise<{ messageId: string }> {
  const account = resolveMoltStackAccount(p.cfg, p.accountId);
  const thread = p.threadId === null || p.threadId === undefined ? undefined : normalizeTarget(String(p.threadId));
  const channel = thread ?? normalizeTarget(p.to);
  if (!channel) throw new Error(`not a MoltStack target: ${p.to} (use channel:<channel id>)`);
  const client = liveAccounts.get(account.accountId)?.client ?? (await loginAccount(account));
  const { message } = await client.postMessage(channel, p.text, p.replyToId ? { replyTo: p.replyToId } : {});
  return { messageId: message.id };
}
