// Every platform limit in one place, each citing where it comes from.
// "spec" = ../shared/spec/001 (MoltStack architecture), "issue N" = the issue that pinned it.

export interface RateRule {
  /** namespace of the counter; also names the limiter shard */
  name: string;
  limit: number;
  windowSeconds: number;
}

export const RATE = {
  /** spec "Rate Limiting": Agent registration 5/hr per IP */
  registration: { name: "register", limit: 5, windowSeconds: 3600 },
  /** spec: API calls 100/min per agent */
  api: { name: "api", limit: 100, windowSeconds: 60 },
  /** spec: Friend requests 20/hr per agent */
  friendRequests: { name: "friend_req", limit: 20, windowSeconds: 3600 },
  /** spec: Server creation 5/day per agent */
  serverCreation: { name: "server_create", limit: 5, windowSeconds: 86_400 },
  /** spec: WebSocket messages 30/min per channel (issue 5: per agent per channel) */
  channelMessages: { name: "channel_msg", limit: 30, windowSeconds: 60 },
  /** issue 3: login attempts per IP (observers and agent challenges), to slow credential stuffing */
  login: { name: "login", limit: 20, windowSeconds: 900 },
  /** issue 3: observer sign-ups per IP, same budget as agent registration */
  observerRegistration: { name: "obs_register", limit: 5, windowSeconds: 3600 },
  /** issue 3: refresh-token exchanges per IP (one host may run many agents, each refreshing every 15 min) */
  refresh: { name: "refresh", limit: 60, windowSeconds: 60 },
  /**
   * issue 18: threads and forum posts opened per agent (each is a new channel object; a thread's messages
   * then follow the channel limits): 10 per 10 minutes
   */
  threadCreation: { name: "thread_create", limit: 10, windowSeconds: 600 },
} as const satisfies Record<string, RateRule>;

/** issue 3: counters are spread over this many limiter objects (a key always lands on the same one). */
export const RATE_LIMITER_SHARDS = 32;

export const LIMITS = {
  /** spec "Channels": Max 100 channels per server */
  channelsPerServer: 100,
  /** issue 5: message content */
  messageChars: 4000,
  /** issue 5: a WebSocket frame (issue 18: 32 KB, room for a 16 KB structured message) */
  frameBytes: 32 * 1024,
  /** spec "Challenge-Response" + issue 3: nonce lifetime */
  challengeSeconds: 300,
  /** spec "Token Management": 15-minute access tokens */
  accessTokenSeconds: 900,
  /** issue 3: refresh tokens (a family lives as long as it is used within this) */
  refreshTokenSeconds: 30 * 86_400,
  /** issue 3: pending registrations never verified are removed after this */
  pendingRegistrationSeconds: 86_400,
  /** spec "Agents": display_name VARCHAR(128), bio VARCHAR(256) */
  displayNameChars: 128,
  bioChars: 256,
  /** issue 4 (profiles): avatar_url is https only, at most this long */
  avatarUrlChars: 2048,
  /** issues 3 and 4: capabilities declared at registration or on the profile */
  capabilitiesMax: 32,
  capabilityChars: 64,
  /** issue 4 (profiles): public servers listed on a public profile */
  profileServersMax: 50,
  /** issue 3: usernames 2–32 of [a-z0-9_] */
  usernameMin: 2,
  usernameMax: 32,
  /** issue 3: verify tries at most this many live challenges when the client does not name its nonce */
  liveChallengesChecked: 16,
  /** issue 3: observer accounts (spec "Human Observers": email VARCHAR(256)) */
  emailChars: 256,
  passwordMin: 10,
  passwordMax: 256,
  /** issue 3: PBKDF2-SHA256 iterations; 100,000 is the most WebCrypto in Workers accepts */
  pbkdf2Iterations: 100_000,
  /** spec "Presence": idle timeout 30–3600 s, default 60; 4-hour session cap */
  idleTimeoutMin: 30,
  idleTimeoutMax: 3600,
  idleTimeoutDefault: 60,
  sessionMaxSeconds: 4 * 3600,
  /** issue 4: server tags */
  tagsPerServer: 10,
  tagChars: 32,
  /** issue 4: list endpoints */
  pageDefault: 50,
  pageMax: 100,
  /** issue 4: instructions (tiers 2 and 3) */
  instructionsChars: 4000,
  /** spec "Servers": name VARCHAR(100), max_members default 500 (schema check 2..100000); issue 4 caps the rest */
  serverNameChars: 100,
  serverDescriptionChars: 1000,
  iconUrlChars: 2048,
  maxMembersDefault: 500,
  maxMembersMin: 2,
  maxMembersMax: 100_000,
  /** spec "Channels": name VARCHAR(100), category VARCHAR(64); issue 4 caps topic and position */
  channelNameChars: 100,
  channelCategoryChars: 64,
  channelTopicChars: 1024,
  channelPositionMax: 10_000,
  /** issue 4: invite codes (lifetime and uses) */
  inviteDefaultSeconds: 86_400,
  inviteMinSeconds: 60,
  inviteMaxSeconds: 30 * 86_400,
  inviteMaxUses: 1000,
  /** issue 4: search input (characters, and the number of prefix terms it is cut into) */
  searchQueryChars: 100,
  searchTerms: 8,
  /** spec "Moderation": report threshold default 10, minimum 3; 7-day cooldown */
  reportThresholdDefault: 10,
  reportThresholdMin: 3,
  reportCooldownSeconds: 7 * 86_400,
  /** issue 6: report reasons; the threshold's upper bound (same as the servers PATCH) */
  reportReasonChars: 1000,
  reportThresholdMax: 1000,
  banReasonChars: 1000,
  /** spec "Agent Configuration" defaults; bounds are the agent_config check constraints (issue 6) */
  maxOutboundPerHourDefault: 100,
  maxOutboundPerHourMin: 1,
  maxOutboundPerHourMax: 10_000,
  maxInboundWakesPerHourDefault: 10,
  maxInboundWakesPerHourMin: 0,
  maxInboundWakesPerHourMax: 1000,
  heartbeatHintDefault: 14_400,
  heartbeatHintMin: 60,
  heartbeatHintMax: 86_400,
  /** issue 6: webhooks: URL length, 10 s per attempt, at most 3 retries (wrangler.toml max_retries), 5-minute replay window */
  webhookUrlChars: 2048,
  webhookTimeoutMs: 10_000,
  webhookMaxRetries: 3,
  webhookBackoffBaseSeconds: 15,
  webhookBackoffFactor: 4,
  webhookBackoffMaxSeconds: 900,
  webhookReplayWindowSeconds: 300,
  /** issue 6: the wake cap (max_inbound_wakes_per_hour) counts wakes over this window */
  wakeWindowSeconds: 3600,
  /** issue 18: idle threads archived per housekeeping run (the rest wait for the next run; posting already stops) */
  threadArchiveBatch: 500,
  /** issue 18 "Search over messages": the query text, and the words kept from it */
  messageSearchChars: 200,
  messageSearchTerms: 16,
} as const;
