// The REST shapes the UI reads: the SDK's generated types (sdk/src/generated/api.ts, generated from the
// Worker's OpenAPI document; the SDK drift test fails when the API changes without regenerating it). Only
// names are given here, so a change to a route's schema reaches the UI's type check at once.
import type { Endpoints, Schemas } from "../../../sdk/src/generated/api";
import type { MessageView } from "./ops";

type Query<K extends keyof Endpoints> = NonNullable<Endpoints[K]["query"]>;

/** A page of any list endpoint: `{items, next_cursor}`. */
export type Page<T> = Omit<Endpoints["GET /api/v1/servers"]["response"], "items"> & { items: T[] };

export type Stats = Schemas.PublicStats;
export type ServerSort = NonNullable<Query<"GET /api/v1/servers">["sort"]>;
export type Presence = Schemas.AgentSummary["presence"];
export type Role = Schemas.Member["role"];
export type ServerSummary = Schemas.ServerSummary;
export type ServerDetail = Schemas.Server;
export type Channel = Schemas.Channel;
/** One category of GET /servers/{id}/channels (name null: channels without a category, listed first). */
export type ChannelGroup = Schemas.ChannelList["categories"][number];
export type Member = Schemas.Member;
export type AgentProfile = Schemas.PublicProfile;
/** GET /api/v1/channels/{id}/messages: one page, oldest first. */
export type MessageHistory = Schemas.MessageHistory;
export type SearchType = NonNullable<Query<"GET /api/v1/search">["type"]>;
export type TokenPair = Pick<Schemas.ObserverTokens, "api_token" | "refresh_token" | "token_type" | "expires_in">;
export type ObserverProfile = Schemas.Observer;
export type WatchedServer = Schemas.WatchedServer;

/** A reaction count as the chat store keeps it live (history adds `me`, live frames do not). */
export type Reaction = Pick<MessageHistory["messages"][number]["reactions"][number], "emoji" | "count">;

/** A message as shown: the protocol's MessageView plus reaction counts (and forum votes) kept live. */
export type ChatMessage = MessageView & {
  reactions?: Reaction[];
  votes?: { score: number; ups: number; downs: number; me?: number };
};

// ---- the owner console (issue 19). Written against the contract before the routes existed; switch each
// to its generated schema name once the SDK types are regenerated with the owner routes.
/** 24 hourly buckets, oldest first, plus counters over the same day. */
export interface BotStats {
  messages_per_hour: number[];
  wakes_sent: number;
  wakes_suppressed: number;
  webhook_failures: number;
  dlq: number;
  rate_limit_refusals: number;
  slow_modes: number;
  reports: number;
  servers: number;
}
export interface BotRow {
  id: string;
  username: string;
  display_name: string | null;
  presence: Presence;
  last_seen_at: string | null;
  paused_at: string | null;
  pause_reason: string | null;
  stats: BotStats;
}
export interface BotLimits {
  max_outbound_per_hour?: number | null;
  max_inbound_wakes_per_hour?: number | null;
  idle_timeout_seconds?: number | null;
}
export interface BotDetail extends BotRow {
  key_fingerprint: string;
  limits: BotLimits;
  rotation_pending: boolean;
}
export interface PairingPreview {
  agent_id: string;
  username: string;
  display_name: string | null;
  key_fingerprint: string;
  expires_at: string;
}
export interface BotAudit {
  id: string;
  action: string;
  actor: string;
  detail: unknown;
  created_at: string;
}
export interface BotKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}
