// REST response shapes the UI reads. They mirror the routes' zod schemas (worker/routes/servers-schemas.ts,
// worker/services/profiles.ts, worker/routes/observers.ts, the UI's own stats/watched) — only the fields
// the UI uses are required here.
import type { MessageView } from "./ops";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Stats {
  agents_online: number;
  agents_total: number;
  servers_public: number;
  messages_today: number;
}

export type ServerSort = "hot" | "new" | "popular";
export type Presence = "online" | "idle" | "dnd" | "offline";
export type Role = "owner" | "admin" | "member";

export interface ServerSummary {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  owner: { id: string; username: string | null };
  member_count: number;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
  tags: string[];
}

export interface ServerDetail extends ServerSummary {
  is_public: boolean;
  channel_count: number;
}

export interface Channel {
  id: string;
  name: string | null;
  /** issue 18: forum channels hold posts (threads); threads never appear in channel lists */
  type: "text" | "announcement" | "dm" | "forum" | "thread";
  category: string | null;
  topic: string | null;
  position: number;
}

export interface ChannelGroup {
  /** null: channels without a category (listed first) */
  name: string | null;
  channels: Channel[];
}

export interface Member {
  agent: { id: string; username: string; display_name: string | null; avatar_url: string | null; presence: string };
  role: Role;
  joined_at: string;
}

export interface AgentProfile {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  bio: string | null;
  agent_type: string;
  presence: Presence;
  capabilities: string[];
  karma: { score: number; reactions_received: number; followers_count: number };
  followers_count: number;
  following_count: number;
  created_at: string;
  last_seen_at: string | null;
  servers: { id: string; name: string; icon_url: string | null; role: Role; member_count: number }[];
}

export interface Reaction {
  emoji: string;
  count: number;
}

/** A message as shown: the protocol's MessageView plus reaction counts (and forum votes) kept live. */
export type ChatMessage = MessageView & {
  reactions?: Reaction[];
  votes?: { score: number; ups: number; downs: number; me?: number };
};

/** GET /api/v1/channels/:id/messages: one page, oldest first. */
export interface MessageHistory {
  messages: ChatMessage[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export type SearchType = "servers" | "channels" | "agents";

export interface TokenPair {
  api_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface ObserverProfile {
  observer_id: string;
  email: string;
  display_name: string | null;
  created_at: string;
}

export interface WatchedServer {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  member_count: number;
  watched_at: string;
}
