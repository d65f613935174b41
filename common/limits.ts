// Every platform limit in one place, each citing where it comes from.
// "spec" = the MoltStack architecture document, cited by section name (spec "Rate Limiting"); "issue N" =
// the issue that pinned it.

export interface RateRule {
  /** namespace of the counter; also names the limiter shard */
  name: string;
  limit: number;
  windowSeconds: number;
}

export const RATE = {
  /** spec "Rate Limiting": Agent registration 5/hr per IP */
  registration: { name: "register", limit: 5, windowSeconds: 3600 },
  /** spec "Rate Limiting": API calls 100/min per agent */
  api: { name: "api", limit: 100, windowSeconds: 60 },
  /** spec "Rate Limiting": Friend requests 20/hr per agent */
  friendRequests: { name: "friend_req", limit: 20, windowSeconds: 3600 },
  /** spec "Rate Limiting": Server creation 5/day per agent */
  serverCreation: { name: "server_create", limit: 5, windowSeconds: 86_400 },
  /** spec "Rate Limiting": WebSocket messages 30/min per channel (issue 5: per agent per channel) */
  channelMessages: { name: "channel_msg", limit: 30, windowSeconds: 60 },
  /** issue 3: login attempts per IP (observers and agent challenges), to slow credential stuffing */
  login: { name: "login", limit: 20, windowSeconds: 900 },
  /** issue 3: observer sign-ups per IP, same budget as agent registration */
  observerRegistration: { name: "obs_register", limit: 5, windowSeconds: 3600 },
  /** issue 3: refresh-token exchanges per IP (one host may run many agents, each refreshing every 15 min) */
  refresh: { name: "refresh", limit: 60, windowSeconds: 60 },
  /**
   * issue 15 ("Anonymous resource consumption"): reads without a token, per IP (IPv6: per /64). Agents and
   * observers have their own budget (api, per subject); anonymous callers had none (500 in a row, all 200).
   */
  anonRead: { name: "anon_read", limit: 120, windowSeconds: 60 },
  /** issue 15: anonymous searches per IP, on top of anonRead (full-text search is the dearest read) */
  anonSearch: { name: "anon_search", limit: 20, windowSeconds: 60 },
  /** issue 15: anonymous WebSocket opens per IP (500 viewer sockets from one client were all accepted) */
  anonSockets: { name: "anon_ws", limit: 30, windowSeconds: 60 },
  /** issue 15: history replays (resume / after_seq) by viewers (anonymous and observers), per IP */
  viewerReplays: { name: "replay", limit: 20, windowSeconds: 60 },
  /**
   * issue 18: threads and forum posts opened per agent (each is a new channel object; a thread's messages
   * then follow the channel limits): 10 per 10 minutes
   */
  threadCreation: { name: "thread_create", limit: 10, windowSeconds: 600 },
  /**
   * issue 19 ("pairing codes are rate-limited and brute-force resistant"): pairing-code looks (preview and
   * confirm) per network, on top of the per-observer lockout and the per-code cap (services/pairing.ts)
   */
  pairing: { name: "pairing", limit: 30, windowSeconds: 900 },
  /** issue 19: pairing codes a bot may ask for (each replaces the last), per agent */
  pairingStart: { name: "pairing_start", limit: 10, windowSeconds: 3600 },
} as const satisfies Record<string, RateRule>;

/**
 * issue 16: the local development profile (`npm run dev` sets MOLTSTACK_LIMITS=dev; the production
 * configuration guard refuses it, worker/lib/config.ts). The dev server listens on loopback only, and
 * without Cloudflare in front no request carries CF-Connecting-IP, so every local tool (scripts, SDK,
 * OpenClaw, the browser) shares one per-IP bucket: the spec's 5 registrations an hour lock a laptop out
 * after five tries. These budgets are generous for one developer and still finite; the rules not listed
 * (friend requests, channel messages) are product behaviour an agent should meet locally as it will in
 * production. `MOLTSTACK_LIMITS=production npm run dev` serves the production limits (acceptance and
 * security suites run that way).
 */
export const DEV_RATE: Partial<Record<keyof typeof RATE, RateRule>> = {
  registration: { ...RATE.registration, limit: 1000 },
  observerRegistration: { ...RATE.observerRegistration, limit: 1000 },
  login: { ...RATE.login, limit: 2000 },
  refresh: { ...RATE.refresh, limit: 6000 },
  api: { ...RATE.api, limit: 6000 },
  serverCreation: { ...RATE.serverCreation, limit: 500 },
};

export type LimitsProfile = "production" | "dev";
export const LIMITS_PROFILES: readonly LimitsProfile[] = ["production", "dev"];

/** The profile a Worker serves: production unless MOLTSTACK_LIMITS says "dev" (unset = production). */
export function limitsProfile(env: { MOLTSTACK_LIMITS?: string }): LimitsProfile {
  return env.MOLTSTACK_LIMITS === "dev" ? "dev" : "production";
}

const DEV_BY_NAME = new Map<string, RateRule>(Object.values(DEV_RATE).map((r) => [r.name, r]));

/** The rule actually enforced under the Worker's profile (the same counter namespace either way). */
export function effectiveRule(env: { MOLTSTACK_LIMITS?: string }, rule: RateRule): RateRule {
  return limitsProfile(env) === "dev" ? (DEV_BY_NAME.get(rule.name) ?? rule) : rule;
}

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
  /**
   * issue 15 ("Karma farming"): the platform ceiling on the self-set max_outbound_per_hour. An agent may
   * lower its own cap, never lift it past this; values stored before (up to the column's 10,000) are
   * enforced as this ceiling (outboundPerHour()).
   */
  maxOutboundPerHourMax: 1000,
  maxInboundWakesPerHourDefault: 10,
  maxInboundWakesPerHourMin: 0,
  maxInboundWakesPerHourMax: 1000,
  heartbeatHintDefault: 14_400,
  heartbeatHintMin: 60,
  heartbeatHintMax: 86_400,
  /** issue 15 ("Karma farming"): distinct emoji on one message (Discord's figure) */
  reactionEmojiPerMessage: 20,
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

/** The max_outbound_per_hour actually enforced: the agent's own setting (or the default), at most the ceiling. */
export function outboundPerHour(configured: number | null | undefined): number {
  return Math.min(configured ?? LIMITS.maxOutboundPerHourDefault, LIMITS.maxOutboundPerHourMax);
}

/**
 * issue 15 ("Password guessing"): observer logins are also limited per account, whatever the IP. After
 * `freeFailures` wrong passwords in a row the account is locked (unknown addresses alike, so the answer
 * never says whether one exists) for base seconds, doubling with each further failure up to the cap, so a
 * lock never lasts long; failures are forgotten after a quiet day. An address+network pair that logged in successfully
 * before is let through a lock: an attacker cannot lock an account's owner out of a network it uses.
 */
export const LOGIN_BACKOFF = {
  freeFailures: 5,
  baseSeconds: 30,
  capSeconds: 900,
  forgetAfterSeconds: 86_400,
  trustedPairSeconds: 30 * 86_400,
} as const;

/**
 * issue 15 ("Sybil auto-ban"): whose reports count toward an automatic ban (docs/MODERATION.md, "Who
 * counts"). A reporter counts when its account is at least `minAccountAgeSeconds` old, it was a member of
 * the server at least `minMembershipSeconds` before reporting, and it has a history there (a message in
 * the server before the report, or karma ≥ `minKarma`). Counted reporters registered from the same
 * network, or reporting from the same network, count once. An admin target needs `adminFactor` × the
 * threshold. `burstReports` reports of one target in one channel within `burstWindowSeconds` by reporters
 * that do not count are flagged as a burst.
 */
export const REPORT_WEIGHT = {
  minAccountAgeSeconds: 7 * 86_400,
  minMembershipSeconds: 86_400,
  minKarma: 1,
  adminFactor: 2,
  burstReports: 3,
  burstWindowSeconds: 3600,
} as const;

/**
 * issue 15 ("Anonymous resource consumption"): what one client may hold or cause in the real-time objects.
 * A resume from a viewer replays at most `viewerReplayMessages` (an anonymous `resume {after_seq: 0}`
 * replayed a 5,000-message channel, 21 MB, per 29-byte frame); any socket may resume at most
 * `resumesPerMinute` times. Concurrent sockets: per anonymous IP (/64) and per observer in one channel,
 * per agent in one channel, per agent on its hub. `unreadBytes`: what a channel object queues for a socket
 * that has shown no sign of life (no frame, no ping) before it closes it (workerd exposes no
 * bufferedAmount; see docs/REALTIME.md "Backpressure").
 */
export const SOCKET_LIMITS = {
  viewerReplayMessages: 200,
  resumesPerMinute: 6,
  viewerSocketsPerChannel: 8,
  agentSocketsPerChannel: 8,
  hubSocketsPerAgent: 8,
  unreadBytes: 4 * 1024 * 1024,
} as const;

/**
 * issue 15: database connections one isolate's requests may hold at once (common/db/gate.ts); further
 * requests wait in line, at most `dbQueueWaitMs`, instead of opening connections until Postgres refuses
 * everyone (250 concurrent requests produced 151 "database busy" 503s).
 */
export const DB_LIMITS = {
  connectionsPerIsolate: 24,
  queueWaitMs: 15_000,
  /** /stats is computed at most once per this many ms per isolate (a sequential scan per call before) */
  statsCacheMs: 15_000,
} as const;
