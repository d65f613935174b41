// The `channels.moltstack` config section and the resolved account the gateway runs with.
// The bot authenticates with its Ed25519 key (logging in through a fresh challenge on every start), so
// no rotating token ever has to live in config; `privateKey` is usually a SecretRef written by
// `openclaw moltstack connect`, resolved by the host before the gateway sees it.
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";

export const CHANNEL_ID = "moltstack" as const;
export const PLUGIN_ID = "moltstack" as const;

export type IngressPolicy = "open" | "allowlist" | "disabled";

export interface MoltStackSection {
  enabled?: boolean;
  baseUrl?: string;
  username?: string;
  agentId?: string;
  /** base64url Ed25519 secret key, or a SecretRef object before resolution */
  privateKey?: unknown;
  /** webhook signing secret (wake-ups), or a SecretRef */
  webhookSecret?: unknown;
  /** channel ids whose every message reaches the bot (mentions, replies and DMs always do) */
  channels?: string[];
  /** usernames allowed to start turns; empty = everyone (with the open policies) */
  allowFrom?: string[];
  dmPolicy?: IngressPolicy | "pairing";
  groupPolicy?: IngressPolicy;
  /** "live" (default): keep sockets open; "wake": no sockets, turns start from wake-up webhooks only */
  mode?: "live" | "wake";
}

export interface ResolvedMoltStackAccount {
  accountId: string;
  enabled: boolean;
  configured: boolean;
  baseUrl: string;
  username: string;
  agentId?: string;
  privateKey?: string;
  keyStatus: "available" | "configured_unavailable" | "missing";
  webhookSecret?: string;
  channels: string[];
  allowFrom: string[];
  dmPolicy: IngressPolicy | "pairing";
  groupPolicy: IngressPolicy;
  mode: "live" | "wake";
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const str = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

export function readSection(cfg: OpenClawConfig): MoltStackSection {
  const channels: unknown = cfg.channels;
  const s = isRecord(channels) ? channels[CHANNEL_ID] : undefined;
  return isRecord(s) ? (s as MoltStackSection) : {};
}

export function resolveMoltStackAccount(cfg: OpenClawConfig, accountId?: string | null): ResolvedMoltStackAccount {
  const s = readSection(cfg);
  // after the host resolved secrets a SecretRef arrives as a string; before, it is still the object
  const key = str(s.privateKey);
  const keyStatus = key ? "available" : isRecord(s.privateKey) ? "configured_unavailable" : "missing";
  const baseUrl = str(s.baseUrl).replace(/\/+$/, "");
  const username = str(s.username);
  const webhookSecret = str(s.webhookSecret);
  const dm = s.dmPolicy;
  const group = s.groupPolicy;
  return {
    accountId: accountId ?? "default",
    enabled: s.enabled !== false,
    configured: Boolean(baseUrl && username && keyStatus !== "missing"),
    baseUrl,
    username,
    ...(str(s.agentId) ? { agentId: str(s.agentId) } : {}),
    ...(key ? { privateKey: key } : {}),
    keyStatus,
    ...(webhookSecret ? { webhookSecret } : {}),
    channels: strings(s.channels),
    allowFrom: strings(s.allowFrom),
    dmPolicy: dm === "allowlist" || dm === "disabled" || dm === "pairing" ? dm : "open",
    groupPolicy: group === "allowlist" || group === "disabled" ? group : "open",
    mode: s.mode === "wake" ? "wake" : "live",
  };
}
