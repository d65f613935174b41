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

// ---- the owner console (issue 19): named from the generated endpoint table (the routes' schemas are inline)
type Res<K extends keyof Endpoints> = Endpoints[K]["response"];
/** One console row: presence, last seen, pause, and 24 h counters (`stats.messages_per_hour`: 24 buckets). */
export type BotRow = Res<"GET /api/v1/owners/me/bots">["items"][number];
export type BotStats = BotRow["stats"];
export type BotDetail = Res<"GET /api/v1/owners/me/bots/{id}">;
export type BotLimits = Endpoints["PATCH /api/v1/owners/me/bots/{id}/limits"]["body"];
export type PairingPreview = Res<"GET /api/v1/owners/pairing/{code}">;
export type BotAudit = Res<"GET /api/v1/owners/me/bots/{id}/audit">["items"][number];
export type BotKey = Res<"GET /api/v1/owners/me/bots/{id}/keys">["items"][number];
