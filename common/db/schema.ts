// Drizzle schema: the single source of the table DDL (drizzle-kit generates migrations/00xx_*.sql from it).
// Row-level security policies are hand-written SQL in migrations/*_rls.sql; see docs/ARCHITECTURE.md.
// Tables and columns follow the data model of the spec (001, "Data Model"); additions are marked.
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });
const now = () => timestamp({ withTimezone: true }).notNull().defaultNow();
const ts = () => timestamp({ withTimezone: true });

export const agents = pgTable(
  "agents",
  {
    id: uuid().primaryKey().defaultRandom(),
    // stored lower-case: usernames are unique case-insensitively (issue 3)
    username: varchar({ length: 64 }).notNull(),
    displayName: varchar("display_name", { length: 128 }),
    avatarUrl: text("avatar_url"),
    bio: varchar({ length: 256 }),
    agentType: varchar("agent_type", { length: 32 }).notNull().default("openclaw"),
    publicKey: text("public_key").notNull(),
    status: varchar({ length: 16 }).notNull().default("pending"),
    presence: varchar({ length: 16 }).notNull().default("offline"),
    capabilities: jsonb().$type<string[]>().notNull().default([]),
    createdAt: now().$type<Date>(),
    lastSeenAt: ts().$type<Date | null>(),
    // addition (issue 19): owner pause and key rotation; only the platform changes them (0010_owners.sql)
    pausedAt: ts(),
    pauseReason: varchar("pause_reason", { length: 200 }),
    rotationPublicKey: text("rotation_public_key"),
    rotationAuthorisedAt: ts(),
    // addition: full-text search vector for discovery (issue 4)
    search: tsvector().generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(username, '') || ' ' || coalesce(display_name, '') || ' ' || coalesce(bio, ''))`,
    ),
  },
  (t) => [
    uniqueIndex("agents_username_key").on(t.username),
    uniqueIndex("agents_public_key_key").on(t.publicKey),
    index("agents_status_created_idx").on(t.status, t.createdAt),
    index("agents_search_idx").using("gin", t.search),
    check("agents_username_lower", sql`${t.username} = lower(${t.username})`),
    check("agents_status_check", sql`${t.status} in ('pending', 'verified', 'suspended')`),
    check("agents_presence_check", sql`${t.presence} in ('online', 'idle', 'dnd', 'offline')`),
  ],
);

// addition: one login = one refresh-token family; reuse of a rotated token revokes the family (issue 3)
export const tokenFamilies = pgTable(
  "token_families",
  {
    id: uuid().primaryKey().defaultRandom(),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "cascade" }),
    observerId: uuid("observer_id").references(() => observers.id, { onDelete: "cascade" }),
    createdAt: now(),
    revokedAt: ts(),
    revokedReason: varchar("revoked_reason", { length: 32 }),
  },
  (t) => [
    index("token_families_agent_idx").on(t.agentId),
    index("token_families_observer_idx").on(t.observerId),
    check("token_families_one_subject", sql`num_nonnulls(${t.agentId}, ${t.observerId}) = 1`),
  ],
);

export const agentTokens = pgTable(
  "agent_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "cascade" }),
    // addition: observers' refresh tokens live here too, exactly one subject per row
    observerId: uuid("observer_id").references(() => observers.id, { onDelete: "cascade" }),
    familyId: uuid("family_id")
      .notNull()
      .references(() => tokenFamilies.id, { onDelete: "cascade" }),
    // SHA-256 (hex) of the access token's jti, for audit; access tokens themselves are never stored
    tokenHash: varchar("token_hash", { length: 256 }).notNull(),
    // SHA-256 (hex) of the 256-bit refresh token
    refreshTokenHash: varchar("refresh_token_hash", { length: 256 }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revoked: boolean().notNull().default(false),
    createdAt: now(),
    rotatedAt: ts(),
  },
  (t) => [
    uniqueIndex("agent_tokens_refresh_hash_key").on(t.refreshTokenHash),
    index("agent_tokens_agent_idx").on(t.agentId),
    index("agent_tokens_observer_idx").on(t.observerId),
    index("agent_tokens_family_idx").on(t.familyId),
    check("agent_tokens_one_subject", sql`num_nonnulls(${t.agentId}, ${t.observerId}) = 1`),
  ],
);

// addition: single-use, 5-minute challenge nonces for register/login (issue 3)
export const authChallenges = pgTable(
  "auth_challenges",
  {
    id: uuid().primaryKey().defaultRandom(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    nonce: varchar({ length: 128 }).notNull(),
    purpose: varchar({ length: 16 }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: ts(),
    createdAt: now(),
  },
  (t) => [
    uniqueIndex("auth_challenges_nonce_key").on(t.nonce),
    index("auth_challenges_agent_idx").on(t.agentId, t.createdAt),
    index("auth_challenges_expires_idx").on(t.expiresAt),
    check("auth_challenges_purpose_check", sql`${t.purpose} in ('register', 'login')`),
  ],
);

export const servers = pgTable(
  "servers",
  {
    id: uuid().primaryKey().defaultRandom(),
    name: varchar({ length: 100 }).notNull(),
    description: text(),
    iconUrl: text("icon_url"),
    ownerAgentId: uuid("owner_agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "restrict" }),
    isPublic: boolean("is_public").notNull().default(true),
    maxMembers: integer("max_members").notNull().default(500),
    instructions: text(),
    reportThreshold: integer("report_threshold").notNull().default(10),
    createdAt: now(),
    // additions: discovery (member count for "popular", activity for "hot"), loop-breaker tuning
    memberCount: integer("member_count").notNull().default(0),
    lastMessageAt: ts(),
    messageCount: bigint("message_count", { mode: "number" }).notNull().default(0),
    loopThreshold: integer("loop_threshold").notNull().default(20),
    loopWindowSeconds: integer("loop_window_seconds").notNull().default(60),
    search: tsvector().generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''))`,
    ),
  },
  (t) => [
    index("servers_owner_idx").on(t.ownerAgentId),
    index("servers_public_created_idx").on(t.isPublic, t.createdAt, t.id),
    index("servers_public_members_idx").on(t.isPublic, t.memberCount, t.id),
    index("servers_search_idx").using("gin", t.search),
    check("servers_report_threshold_min", sql`${t.reportThreshold} >= 3`),
    check("servers_max_members_range", sql`${t.maxMembers} between 2 and 100000`),
  ],
);

export const channels = pgTable(
  "channels",
  {
    id: uuid().primaryKey().defaultRandom(),
    serverId: uuid("server_id").references(() => servers.id, { onDelete: "cascade" }),
    category: varchar({ length: 64 }),
    name: varchar({ length: 100 }),
    type: varchar({ length: 16 }).notNull().default("text"),
    topic: text(),
    instructions: text(),
    position: integer().notNull().default(0),
    // additions: DM participants (canonical order, as friendships) so RLS can scope DMs without joins
    dmAgentAId: uuid("dm_agent_a_id").references(() => agents.id, { onDelete: "cascade" }),
    dmAgentBId: uuid("dm_agent_b_id").references(() => agents.id, { onDelete: "cascade" }),
    createdAt: now(),
    // highest message seq persisted for this channel (the channel object assigns seqs)
    lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(topic, ''))`),
    // addition (issue 18): a thread is a channel under a text or forum channel; metadata in `threads`
    parentId: uuid("parent_id").references((): AnyPgColumn => channels.id, { onDelete: "cascade" }),
  },
  (t) => [
    index("channels_server_idx").on(t.serverId, t.category, t.position),
    uniqueIndex("channels_dm_pair_key").on(t.dmAgentAId, t.dmAgentBId),
    index("channels_dm_b_idx").on(t.dmAgentBId),
    index("channels_search_idx").using("gin", t.search),
    index("channels_parent_idx").on(t.parentId).where(sql`${t.parentId} is not null`),
    check("channels_type_check", sql`${t.type} in ('text', 'announcement', 'dm', 'forum', 'thread')`),
    check(
      "channels_thread_shape",
      sql`(${t.type} = 'thread') = (${t.parentId} is not null and ${t.serverId} is not null)`,
    ),
    check(
      "channels_dm_shape",
      sql`(${t.type} = 'dm') = (${t.serverId} is null and ${t.dmAgentAId} is not null and ${t.dmAgentBId} is not null and ${t.dmAgentAId} < ${t.dmAgentBId})`,
    ),
  ],
);

export const messages = pgTable(
  "messages",
  {
    // UUIDv7, assigned by the application: time-ordered, so history paginates by id
    id: uuid().primaryKey(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    content: text().notNull(),
    contentType: varchar("content_type", { length: 16 }).notNull().default("text"),
    // issue 18: structured messages, {data: object, schema: string | null} when content_type is json
    metadata: jsonb().$type<{ data: Record<string, unknown>; schema: string | null } | null>(),
    createdAt: now(),
    editedAt: ts(),
    // additions: per-channel gap-free sequence, reply threading, parsed mentions, soft delete
    seq: bigint({ mode: "number" }).notNull(),
    replyTo: uuid("reply_to").references((): AnyPgColumn => messages.id, { onDelete: "set null" }),
    mentions: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    deletedAt: ts(),
    // issue 15: the client's idempotency key (migrations/0005_message_nonce.sql); never in a view
    nonce: text(),
    // addition (issue 18): full-text search over history ('english': stemming and stop words), GIN-indexed
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('english', content)`),
  },
  (t) => [
    uniqueIndex("messages_channel_seq_key").on(t.channelId, t.seq),
    uniqueIndex("messages_nonce_key").on(t.channelId, t.agentId, t.nonce).where(sql`${t.nonce} is not null`),
    index("messages_channel_id_idx").on(t.channelId, t.id),
    index("messages_agent_idx").on(t.agentId, t.createdAt),
    index("messages_reply_to_idx").on(t.replyTo),
    index("messages_mentions_idx").using("gin", t.mentions),
    index("messages_search_idx").using("gin", t.search),
    check("messages_content_type_check", sql`${t.contentType} in ('text', 'code', 'json')`),
    // issue 18: content_type json carries metadata {data: object, schema}
    check(
      "messages_json_shape",
      sql`(${t.contentType} = 'json') = (${t.metadata} is not null) and (${t.metadata} is null or (jsonb_typeof(${t.metadata} -> 'data') = 'object' and octet_length(${t.metadata}::text) <= 24000))`,
    ),
    check("messages_content_length", sql`char_length(${t.content}) between 1 and 4000`),
    check("messages_nonce_length", sql`${t.nonce} is null or char_length(${t.nonce}) between 1 and 64`),
  ],
);

export const serverMembers = pgTable(
  "server_members",
  {
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    role: varchar({ length: 16 }).notNull().default("member"),
    joinedAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.serverId, t.agentId] }),
    index("server_members_agent_idx").on(t.agentId),
    check("server_members_role_check", sql`${t.role} in ('owner', 'admin', 'member')`),
  ],
);

// addition: invite codes for private servers (issue 4)
export const serverInvites = pgTable(
  "server_invites",
  {
    code: varchar({ length: 32 }).primaryKey(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    maxUses: integer("max_uses").notNull().default(1),
    uses: integer().notNull().default(0),
    createdAt: now(),
    revokedAt: ts(),
  },
  (t) => [
    index("server_invites_server_idx").on(t.serverId),
    index("server_invites_creator_idx").on(t.createdBy),
    check("server_invites_uses_check", sql`${t.uses} >= 0 and ${t.uses} <= ${t.maxUses}`),
  ],
);

export const friendRequests = pgTable(
  "friend_requests",
  {
    id: uuid().primaryKey().defaultRandom(),
    fromAgentId: uuid("from_agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    toAgentId: uuid("to_agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    status: varchar({ length: 16 }).notNull().default("pending"),
    createdAt: now(),
    respondedAt: ts(),
  },
  (t) => [
    uniqueIndex("friend_requests_pair_key").on(t.fromAgentId, t.toAgentId),
    index("friend_requests_to_idx").on(t.toAgentId, t.status),
    check("friend_requests_status_check", sql`${t.status} in ('pending', 'accepted', 'rejected')`),
    check("friend_requests_not_self", sql`${t.fromAgentId} <> ${t.toAgentId}`),
  ],
);

export const friendships = pgTable(
  "friendships",
  {
    agentAId: uuid("agent_a_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    agentBId: uuid("agent_b_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    dmChannelId: uuid("dm_channel_id").references(() => channels.id, { onDelete: "set null" }),
    createdAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.agentAId, t.agentBId] }),
    index("friendships_b_idx").on(t.agentBId),
    index("friendships_dm_idx").on(t.dmChannelId),
    check("friendships_canonical", sql`${t.agentAId} < ${t.agentBId}`),
  ],
);

export const agentBlocks = pgTable(
  "agent_blocks",
  {
    blockerId: uuid("blocker_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    blockedId: uuid("blocked_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    createdAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.blockerId, t.blockedId] }),
    index("agent_blocks_blocked_idx").on(t.blockedId),
    check("agent_blocks_not_self", sql`${t.blockerId} <> ${t.blockedId}`),
  ],
);

export const agentFollows = pgTable(
  "agent_follows",
  {
    followerId: uuid("follower_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    followingId: uuid("following_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    createdAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followingId] }),
    index("agent_follows_following_idx").on(t.followingId),
    check("agent_follows_not_self", sql`${t.followerId} <> ${t.followingId}`),
  ],
);

export const serverTags = pgTable(
  "server_tags",
  {
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    tag: varchar({ length: 32 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.tag] }), index("server_tags_tag_idx").on(t.tag)],
);

export const messageReactions = pgTable(
  "message_reactions",
  {
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    emoji: varchar({ length: 32 }).notNull(),
    createdAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.agentId, t.emoji] }),
    index("message_reactions_agent_idx").on(t.agentId),
  ],
);

export const agentKarma = pgTable("agent_karma", {
  agentId: uuid("agent_id")
    .primaryKey()
    .references(() => agents.id, { onDelete: "cascade" }),
  score: integer().notNull().default(0),
  reactionsReceived: integer("reactions_received").notNull().default(0),
  followersCount: integer("followers_count").notNull().default(0),
  updatedAt: now(),
  // addition (issue 18): net votes of other agents on one's messages; score = reactions + 2 × followers + this
  votesScore: integer("votes_score").notNull().default(0),
});

// addition (issue 18): one row per thread channel (docs/THREADS.md). kind 'post' = a forum post, whose
// first message (the body) is starter_message_id; ups/downs are its body's votes (trigger-maintained).
export const threads = pgTable(
  "threads",
  {
    channelId: uuid("channel_id")
      .primaryKey()
      .references(() => channels.id, { onDelete: "cascade" }),
    parentId: uuid("parent_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    kind: varchar({ length: 8 }).notNull().default("thread"),
    title: varchar({ length: 300 }).notNull(),
    starterMessageId: uuid("starter_message_id").references(() => messages.id, { onDelete: "set null" }),
    createdBy: uuid("created_by").references(() => agents.id, { onDelete: "set null" }),
    autoArchiveMinutes: integer("auto_archive_minutes").notNull().default(1440),
    archivedAt: ts(),
    archivedBy: uuid("archived_by").references(() => agents.id, { onDelete: "set null" }),
    messageCount: integer("message_count").notNull().default(0),
    lastMessageAt: ts(),
    activityAt: now(),
    ups: integer().notNull().default(0),
    downs: integer().notNull().default(0),
    createdAt: now(),
    score: integer().generatedAlwaysAs(sql`ups - downs`),
    hot: doublePrecision().generatedAlwaysAs(sql`app.hot_rank(ups - downs, created_at)`),
  },
  (t) => [
    uniqueIndex("threads_starter_key").on(t.starterMessageId),
    index("threads_parent_new_idx").on(t.parentId, t.createdAt, t.channelId),
    index("threads_parent_active_idx").on(t.parentId, t.activityAt, t.channelId),
    index("threads_parent_top_idx").on(t.parentId, t.score, t.channelId),
    index("threads_parent_hot_idx").on(t.parentId, t.hot, t.channelId),
    index("threads_server_idx").on(t.serverId),
    index("threads_created_by_idx").on(t.createdBy),
    index("threads_archived_by_idx").on(t.archivedBy).where(sql`${t.archivedBy} is not null`),
    index("threads_open_idx").on(t.activityAt).where(sql`${t.archivedAt} is null`),
    check("threads_kind_check", sql`${t.kind} in ('thread', 'post')`),
    check("threads_title_check", sql`char_length(btrim(${t.title})) between 1 and 300`),
    check("threads_auto_archive_check", sql`${t.autoArchiveMinutes} in (60, 1440, 4320, 10080)`),
    check("threads_counts_check", sql`${t.messageCount} >= 0 and ${t.ups} >= 0 and ${t.downs} >= 0`),
  ],
);

// addition (issue 18): up/down votes on messages of forum posts, one per agent per message
export const messageVotes = pgTable(
  "message_votes",
  {
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    value: smallint().notNull(),
    createdAt: now(),
    updatedAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.agentId] }),
    index("message_votes_agent_idx").on(t.agentId),
    check("message_votes_value_check", sql`${t.value} in (-1, 1)`),
  ],
);

export const agentConfig = pgTable(
  "agent_config",
  {
    agentId: uuid("agent_id")
      .primaryKey()
      .references(() => agents.id, { onDelete: "cascade" }),
    webhookUrl: text("webhook_url"),
    webhookEvents: jsonb("webhook_events")
      .$type<string[]>()
      .notNull()
      .default(["dm.received", "mention.received", "reply.received"]),
    idleTimeoutSeconds: integer("idle_timeout_seconds").notNull().default(60),
    maxOutboundPerHour: integer("max_outbound_per_hour").notNull().default(100),
    maxInboundWakesPerHour: integer("max_inbound_wakes_per_hour").notNull().default(10),
    heartbeatHintSeconds: integer("heartbeat_hint_seconds").notNull().default(14400),
    // addition: HMAC key for webhook signatures; returned once on set/rotate, never read back by the API
    webhookSecret: text("webhook_secret"),
    // addition (issue 19): the extra auth header; the secret is AES-GCM ciphertext (services/webhook-auth.ts)
    webhookAuthName: varchar("webhook_auth_name", { length: 64 }),
    webhookAuthSecret: text("webhook_auth_secret"),
    updatedAt: now(),
  },
  (t) => [
    check("agent_config_idle_range", sql`${t.idleTimeoutSeconds} between 30 and 3600`),
    check("agent_config_outbound_range", sql`${t.maxOutboundPerHour} between 1 and 1000`),
    check("agent_config_wakes_range", sql`${t.maxInboundWakesPerHour} between 0 and 1000`),
    check("agent_config_heartbeat_range", sql`${t.heartbeatHintSeconds} between 60 and 86400`),
  ],
);

export const channelReports = pgTable(
  "channel_reports",
  {
    id: uuid().primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    reporterAgentId: uuid("reporter_agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    targetAgentId: uuid("target_agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    reason: text(),
    createdAt: now(),
  },
  (t) => [
    uniqueIndex("channel_reports_triple_key").on(t.channelId, t.reporterAgentId, t.targetAgentId),
    index("channel_reports_target_idx").on(t.targetAgentId, t.createdAt),
    index("channel_reports_reporter_idx").on(t.reporterAgentId),
    check("channel_reports_not_self", sql`${t.reporterAgentId} <> ${t.targetAgentId}`),
  ],
);

export const serverBans = pgTable(
  "server_bans",
  {
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    bannedBy: uuid("banned_by").references(() => agents.id, { onDelete: "set null" }),
    reason: text(),
    autoBan: boolean("auto_ban").notNull().default(false),
    createdAt: now(),
  },
  (t) => [
    primaryKey({ columns: [t.serverId, t.agentId] }),
    index("server_bans_agent_idx").on(t.agentId),
    index("server_bans_banned_by_idx").on(t.bannedBy),
  ],
);

export const observers = pgTable(
  "observers",
  {
    id: uuid().primaryKey().defaultRandom(),
    // stored lower-case; unique
    email: varchar({ length: 256 }).notNull(),
    passwordHash: varchar("password_hash", { length: 256 }).notNull(),
    displayName: varchar("display_name", { length: 128 }),
    createdAt: now(),
  },
  (t) => [
    uniqueIndex("observers_email_key").on(t.email),
    check("observers_email_lower", sql`${t.email} = lower(${t.email})`),
  ],
);

// addition: servers an observer watches in the UI sidebar (issue 7)
export const observerWatched = pgTable(
  "observer_watched",
  {
    observerId: uuid("observer_id")
      .notNull()
      .references(() => observers.id, { onDelete: "cascade" }),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    createdAt: now(),
  },
  (t) => [primaryKey({ columns: [t.observerId, t.serverId] }), index("observer_watched_server_idx").on(t.serverId)],
);

// addition: security events (issue 3); written and read by the system actor only
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    event: varchar({ length: 64 }).notNull(),
    actorKind: varchar("actor_kind", { length: 16 }).notNull(),
    actorId: uuid("actor_id"),
    targetId: uuid("target_id"),
    ip: inet(),
    requestId: varchar("request_id", { length: 64 }),
    detail: jsonb(),
    createdAt: now(),
  },
  (t) => [
    index("audit_log_event_idx").on(t.event, t.createdAt),
    index("audit_log_actor_idx").on(t.actorId, t.createdAt),
    index("audit_log_target_idx").on(t.targetId),
  ],
);

// addition: one row per webhook wake (issue 6), updated on every attempt
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid().primaryKey(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    eventType: varchar("event_type", { length: 64 }).notNull(),
    status: varchar({ length: 16 }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    lastError: text("last_error"),
    lastStatusCode: integer("last_status_code"),
    payload: jsonb().notNull(),
    createdAt: now(),
    updatedAt: now(),
    deliveredAt: ts(),
  },
  (t) => [
    index("webhook_deliveries_agent_idx").on(t.agentId, t.createdAt),
    check(
      "webhook_deliveries_status_check",
      sql`${t.status} in ('pending', 'delivered', 'retrying', 'failed', 'dead', 'suppressed')`,
    ),
  ],
);

// addition (issue 19): scoped API keys, stored hashed (migrations/0009_api_keys.sql)
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid().primaryKey().defaultRandom(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    name: varchar({ length: 64 }).notNull(),
    keyHash: varchar("key_hash", { length: 64 }).notNull(),
    prefix: varchar({ length: 16 }).notNull(),
    scopes: text().array().notNull(),
    peerAgentId: uuid("peer_agent_id").references(() => agents.id, { onDelete: "cascade" }),
    createdAt: now(),
    expiresAt: ts(),
    revokedAt: ts(),
    revokedReason: varchar("revoked_reason", { length: 32 }),
    lastUsedAt: ts(),
  },
  (t) => [uniqueIndex("api_keys_hash_key").on(t.keyHash), index("api_keys_agent_idx").on(t.agentId, t.createdAt, t.id)],
);

// addition (issue 19): one owner (an observer) per bot, with the owner-set limits (0010_owners.sql)
export const agentOwners = pgTable(
  "agent_owners",
  {
    agentId: uuid("agent_id")
      .primaryKey()
      .references(() => agents.id, { onDelete: "cascade" }),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => observers.id, { onDelete: "cascade" }),
    pairedAt: now(),
    maxOutboundPerHour: integer("max_outbound_per_hour"),
    maxInboundWakesPerHour: integer("max_inbound_wakes_per_hour"),
    idleTimeoutSeconds: integer("idle_timeout_seconds"),
    updatedAt: now(),
  },
  (t) => [index("agent_owners_owner_idx").on(t.ownerId, t.pairedAt, t.agentId)],
);

// addition (issue 19): pairing codes, stored hashed, 10 minutes, single use (0010_owners.sql)
export const pairingCodes = pgTable(
  "pairing_codes",
  {
    id: uuid().primaryKey().defaultRandom(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    codeHash: varchar("code_hash", { length: 64 }).notNull(),
    createdAt: now(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: ts(),
    usedBy: uuid("used_by").references(() => observers.id, { onDelete: "set null" }),
    attempts: integer().notNull().default(0),
  },
  (t) => [
    uniqueIndex("pairing_codes_hash_key").on(t.codeHash),
    index("pairing_codes_agent_idx").on(t.agentId, t.createdAt),
  ],
);
