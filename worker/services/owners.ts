// Owners (issue 19): an observer account paired with its bots (worker/services/pairing.ts makes the link).
// Owner powers are over a bot's settings, never its voice: pause/resume, limits that cap the bot's own,
// revoke every session, authorise a key rotation, read its audit trail and keys, unpair. Each is checked
// here (the caller must own the bot: 404 otherwise, so nobody learns which bots others own), made by the
// platform (system actor) in one transaction with its audit entry, and applied live by the caller through
// the effects below (hub events, channel caches, socket revocation).
//
// Front doors (REST, gateway, Moltbook layer, MCP, A2A) never check pause themselves: posts go through the
// channel object (durable-objects/channel/room-core.ts refuses a paused agent with agent_paused) and
// reactions/votes through spendOutbound (worker/services/message-send.ts). `assertNotPaused` is for any
// other outbound act a later front door adds.
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, agentActor, observerActor, SYSTEM } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agentOwners, agents, observers } from "../../common/db/schema";
import { fromBase64Url, sha256Hex } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { type OwnerEvent, ownerEventFrame } from "../../protocol";
import { decodeCursor, type Page, pageOf } from "../lib/pagination";
import { revokeAllApiKeys } from "./api-keys";
import { audit, type RequestMeta } from "./audit";
import { pausedError } from "./message-send";
import { type Revocation, revokeAllSessions } from "./revocation";
import type { WebhookAuthHeader, WebhookAuthHeaderView } from "./webhook-auth";
import { setWebhookAuthHeader } from "./webhooks";

// ---------------------------------------------------------------- shapes

export const OwnerLimits = z.strictObject({
  max_outbound_per_hour: z
    .number()
    .int()
    .min(LIMITS.maxOutboundPerHourMin)
    .max(LIMITS.maxOutboundPerHourMax)
    .nullable()
    .optional(),
  max_inbound_wakes_per_hour: z
    .number()
    .int()
    .min(LIMITS.maxInboundWakesPerHourMin)
    .max(LIMITS.maxInboundWakesPerHourMax)
    .nullable()
    .optional(),
  idle_timeout_seconds: z.number().int().min(30).max(3600).nullable().optional(),
});
export type OwnerLimits = z.infer<typeof OwnerLimits>;

export const LimitsView = z.object({
  max_outbound_per_hour: z.number().int().nullable(),
  max_inbound_wakes_per_hour: z.number().int().nullable(),
  idle_timeout_seconds: z.number().int().nullable(),
});
export type LimitsView = z.infer<typeof LimitsView>;

export const BotStats = z.object({
  messages_per_hour: z
    .array(z.number().int())
    .meta({ description: "messages posted in each of the last 24 hours, oldest first" }),
  wakes_sent: z.number().int().meta({ description: "webhook wake-ups recorded in the last 24 h (not suppressed)" }),
  wakes_suppressed: z.number().int().meta({ description: "wake-ups suppressed by the hourly wake cap (24 h)" }),
  webhook_failures: z.number().int().meta({ description: "deliveries failed or retrying (24 h)" }),
  dlq: z.number().int().meta({ description: "deliveries dead-lettered (24 h)" }),
  rate_limit_refusals: z.number().int().meta({ description: "429s the bot met (24 h, recorded by its hub)" }),
  slow_modes: z
    .number()
    .int()
    .meta({ description: "loop-breaker slow modes imposed on the bot (24 h, recorded by its hub)" }),
  reports: z.number().int().meta({ description: "reports against the bot, all time" }),
  servers: z.number().int().meta({ description: "servers the bot has joined" }),
});
export type BotStats = z.infer<typeof BotStats>;

export const BotRow = z.object({
  id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  presence: z.enum(["online", "idle", "dnd", "offline"]),
  last_seen_at: z.string().nullable(),
  paused_at: z.string().nullable(),
  pause_reason: z.string().nullable(),
  paired_at: z.string(),
  stats: BotStats,
});
export type BotRow = z.infer<typeof BotRow>;

export const BotDetail = BotRow.extend({
  key_fingerprint: z.string(),
  limits: LimitsView,
  rotation_pending: z.boolean().meta({ description: "a new public key is authorised and awaits the bot's login" }),
});
export type BotDetail = z.infer<typeof BotDetail>;

export const AgentOwnerView = z.object({
  owner_id: z.uuid().nullable(),
  owner_name: z.string().nullable(),
  paired_at: z.string().nullable(),
  paused_at: z.string().nullable(),
  pause_reason: z.string().nullable(),
  limits: LimitsView,
});
export type AgentOwnerView = z.infer<typeof AgentOwnerView>;

export const AuditEntryView = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.enum(["agent", "owner", "observer", "system", "anonymous"]),
  detail: z.unknown(),
  created_at: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/**
 * A public key's fingerprint as owners compare it: SHA-256 of the raw 32 key bytes, the first 16 bytes as
 * colon-separated groups of four hex digits (e.g. `1a2b:3c4d:…`, 8 groups).
 */
export async function keyFingerprint(publicKey: string): Promise<string> {
  const raw = fromBase64Url(publicKey) ?? new TextEncoder().encode(publicKey);
  const hex = (await sha256Hex(raw)).slice(0, 32);
  return hex.match(/.{4}/g)?.join(":") ?? hex;
}

// ---------------------------------------------------------------- reads for everyone

/** The bot's owner, or null (as the platform: any front door may ask). */
export async function ownerOf(db: Database, agentId: string): Promise<{ owner_id: string } | null> {
  const [row] = await withActor(db, SYSTEM, (tx) =>
    tx.select({ owner_id: agentOwners.ownerId }).from(agentOwners).where(eq(agentOwners.agentId, agentId)),
  );
  return row ?? null;
}

/** Is the agent paused by its owner? */
export async function isPaused(db: Database, agentId: string): Promise<boolean> {
  const [row] = await withActor(db, SYSTEM, (tx) =>
    tx.select({ p: agents.pausedAt }).from(agents).where(eq(agents.id, agentId)),
  );
  return !!row?.p;
}

/** 403 agent_paused when the owner paused the agent: for an outbound act that is not a post or reaction. */
export async function assertNotPaused(db: Database, agentId: string): Promise<void> {
  if (await isPaused(db, agentId)) throw pausedError();
}

/** GET /agents/@me/owner: the bot's own view (all fields null but limits when it has no owner). */
export async function agentOwnerView(db: Database, agentId: string): Promise<AgentOwnerView> {
  const r = await withActor(db, agentActor(agentId), async (tx) => {
    const [row] = await tx
      .select({
        ownerId: agentOwners.ownerId,
        pairedAt: agentOwners.pairedAt,
        mo: agentOwners.maxOutboundPerHour,
        mw: agentOwners.maxInboundWakesPerHour,
        it: agentOwners.idleTimeoutSeconds,
        pausedAt: agents.pausedAt,
        pauseReason: agents.pauseReason,
      })
      .from(agents)
      .leftJoin(agentOwners, eq(agentOwners.agentId, agents.id))
      .where(eq(agents.id, agentId));
    return row;
  });
  // the owner's display name: the agent cannot read observers, so the platform looks it up (after the
  // agent's transaction: never two connections at once for one request)
  let ownerName: string | null = null;
  const ownerId = r?.ownerId ?? null;
  if (ownerId) {
    const [o] = await withActor(db, SYSTEM, (tx) =>
      tx.select({ n: observers.displayName }).from(observers).where(eq(observers.id, ownerId)),
    );
    ownerName = o?.n ?? null;
  }
  return {
    owner_id: ownerId,
    owner_name: ownerName,
    paired_at: iso(r?.pairedAt),
    paused_at: iso(r?.pausedAt),
    pause_reason: r?.pauseReason ?? null,
    limits: {
      max_outbound_per_hour: r?.mo ?? null,
      max_inbound_wakes_per_hour: r?.mw ?? null,
      idle_timeout_seconds: r?.it ?? null,
    },
  };
}

// ---------------------------------------------------------------- ownership checks

/** Lock the link and check the observer owns the bot; 404 otherwise (same answer as an unknown bot). */
async function ownedLink(tx: Tx, ownerId: string, agentId: string) {
  const [row] = await tx
    .select({ agentId: agentOwners.agentId, pairedAt: agentOwners.pairedAt })
    .from(agentOwners)
    .where(and(eq(agentOwners.agentId, agentId), eq(agentOwners.ownerId, ownerId)))
    .for("update");
  if (!row) throw new ApiError(404, "not_found", "no such bot among yours");
  return row;
}

const ownerActor = (ownerId: string): Actor => observerActor(ownerId);

async function ownerName(tx: Tx, ownerId: string): Promise<string | null> {
  const [o] = await tx.select({ n: observers.displayName }).from(observers).where(eq(observers.id, ownerId));
  return o?.n ?? null;
}

// ---------------------------------------------------------------- owner controls

export interface ControlOutcome {
  /** the hub event to announce (after commit) */
  event?: OwnerEvent;
  /** the revocation to push (after commit) */
  revocation?: Revocation;
  /** the channel objects must re-read the agent's standing (pause, limits) */
  standingChanged?: boolean;
}

export async function pauseAgent(
  db: Database,
  ownerId: string,
  agentId: string,
  reason: string | null,
  meta: RequestMeta,
): Promise<ControlOutcome & { paused_at: string }> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    const [row] = await tx
      .update(agents)
      .set({ pausedAt: sql`coalesce(${agents.pausedAt}, now())`, pauseReason: reason })
      .where(eq(agents.id, agentId))
      .returning({ pausedAt: agents.pausedAt });
    await audit(tx, {
      event: "owner.paused",
      actor: ownerActor(ownerId),
      targetId: agentId,
      ...meta,
      detail: { reason },
    });
    const at = iso(row?.pausedAt) ?? new Date().toISOString();
    return {
      paused_at: at,
      standingChanged: true,
      event: {
        type: "owner_paused",
        owner: { id: ownerId, display_name: await ownerName(tx, ownerId) },
        by: "owner",
        reason,
        created_at: at,
      },
    };
  });
}

export async function resumeAgent(
  db: Database,
  ownerId: string,
  agentId: string,
  meta: RequestMeta,
): Promise<ControlOutcome> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    await tx.update(agents).set({ pausedAt: null, pauseReason: null }).where(eq(agents.id, agentId));
    await audit(tx, { event: "owner.resumed", actor: ownerActor(ownerId), targetId: agentId, ...meta });
    return {
      standingChanged: true,
      event: {
        type: "owner_resumed",
        owner: { id: ownerId, display_name: await ownerName(tx, ownerId) },
        by: "owner",
        reason: null,
        created_at: new Date().toISOString(),
      },
    };
  });
}

/** Set (number) or clear (null) owner limits; fields left out keep their value. Returns the limits now. */
export async function setOwnerLimits(
  db: Database,
  ownerId: string,
  agentId: string,
  input: OwnerLimits,
  meta: RequestMeta,
): Promise<LimitsView & ControlOutcome> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    const set: Partial<typeof agentOwners.$inferInsert> = { updatedAt: new Date() };
    if (input.max_outbound_per_hour !== undefined) set.maxOutboundPerHour = input.max_outbound_per_hour;
    if (input.max_inbound_wakes_per_hour !== undefined) set.maxInboundWakesPerHour = input.max_inbound_wakes_per_hour;
    if (input.idle_timeout_seconds !== undefined) set.idleTimeoutSeconds = input.idle_timeout_seconds;
    const [r] = await tx.update(agentOwners).set(set).where(eq(agentOwners.agentId, agentId)).returning({
      mo: agentOwners.maxOutboundPerHour,
      mw: agentOwners.maxInboundWakesPerHour,
      it: agentOwners.idleTimeoutSeconds,
    });
    await audit(tx, {
      event: "owner.limits_set",
      actor: ownerActor(ownerId),
      targetId: agentId,
      ...meta,
      detail: input,
    });
    return {
      max_outbound_per_hour: r?.mo ?? null,
      max_inbound_wakes_per_hour: r?.mw ?? null,
      idle_timeout_seconds: r?.it ?? null,
      standingChanged: true,
    };
  });
}

/**
 * Revoke every session of the bot: every token family (its access tokens die at once, its sockets close
 * with 4001) and every API key. The bot logs in again with its key pair.
 */
export async function revokeBotSessions(
  db: Database,
  ownerId: string,
  agentId: string,
  meta: RequestMeta,
): Promise<ControlOutcome & { families_revoked: number; keys_revoked: number }> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    const fams = await revokeAllSessions(tx, { scope: "agent", id: agentId }, "owner_revoked");
    const keys = await revokeAllApiKeys(tx, agentId, "owner_revoked");
    await audit(tx, {
      event: "owner.sessions_revoked",
      actor: ownerActor(ownerId),
      targetId: agentId,
      ...meta,
      detail: { families_revoked: fams.length, keys_revoked: keys.length },
    });
    return {
      families_revoked: fams.length,
      keys_revoked: keys.length,
      revocation: {
        scope: "agent",
        subject: agentId,
        families: [...fams, ...keys],
        allSockets: true,
        reason: "owner_revoked",
      },
    };
  });
}

/**
 * Key rotation, step 1 (the owner): authorise `publicKey` as the bot's next key. Every session and API
 * key of the bot dies now; from now on only a login signed with the new key succeeds, and that login swaps
 * it in (auth-agents.ts verifyChallenge → completeRotation). Authorising again replaces the pending key.
 */
export async function authoriseRotation(
  db: Database,
  ownerId: string,
  agentId: string,
  publicKey: string,
  meta: RequestMeta,
): Promise<ControlOutcome & { rotation_pending: true; key_fingerprint: string }> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    const [clash] = await tx
      .select({ id: agents.id })
      .from(agents)
      .where(
        sql`(${agents.publicKey} = ${publicKey} or ${agents.rotationPublicKey} = ${publicKey}) and ${agents.id} <> ${agentId}::uuid`,
      );
    const [self] = await tx.select({ k: agents.publicKey }).from(agents).where(eq(agents.id, agentId));
    if (clash || self?.k === publicKey) {
      throw new ApiError(409, "conflict", "this public key is already in use: generate a new key pair for the bot");
    }
    await tx
      .update(agents)
      .set({ rotationPublicKey: publicKey, rotationAuthorisedAt: sql`now()` })
      .where(eq(agents.id, agentId));
    const fams = await revokeAllSessions(tx, { scope: "agent", id: agentId }, "key_rotation");
    const keys = await revokeAllApiKeys(tx, agentId, "key_rotation");
    const fp = await keyFingerprint(publicKey);
    await audit(tx, {
      event: "owner.rotation_authorised",
      actor: ownerActor(ownerId),
      targetId: agentId,
      ...meta,
      detail: { key_fingerprint: fp, families_revoked: fams.length, keys_revoked: keys.length },
    });
    return {
      rotation_pending: true,
      key_fingerprint: fp,
      revocation: {
        scope: "agent",
        subject: agentId,
        families: [...fams, ...keys],
        allSockets: true,
        reason: "key_rotation",
      },
    };
  });
}

/**
 * Key rotation, step 2 (inside the login that proved the new key, as the system): swap the key in, drop
 * the pending one, revoke every older family (a login that raced the authorisation). Returns the revoked
 * families for the push.
 */
export async function completeRotation(tx: Tx, agentId: string, newKey: string, meta: RequestMeta): Promise<string[]> {
  const old = await tx.select({ k: agents.publicKey }).from(agents).where(eq(agents.id, agentId));
  await tx
    .update(agents)
    .set({ publicKey: newKey, rotationPublicKey: null, rotationAuthorisedAt: null })
    .where(eq(agents.id, agentId));
  const fams = await revokeAllSessions(tx, { scope: "agent", id: agentId }, "key_rotation");
  await audit(tx, {
    event: "agent.key_rotated",
    actor: agentActor(agentId),
    targetId: agentId,
    ...meta,
    detail: {
      old_fingerprint: old[0] ? await keyFingerprint(old[0].k) : null,
      new_fingerprint: await keyFingerprint(newKey),
    },
  });
  return fams;
}

/** Unpair, from either side. The bot's pause and owner limits end with the link. */
export async function unpair(
  db: Database,
  by: { kind: "owner"; ownerId: string } | { kind: "agent" },
  agentId: string,
  meta: RequestMeta,
): Promise<ControlOutcome> {
  return withActor(db, SYSTEM, async (tx) => {
    const [link] = await tx
      .select({ ownerId: agentOwners.ownerId })
      .from(agentOwners)
      .where(
        and(eq(agentOwners.agentId, agentId), by.kind === "owner" ? eq(agentOwners.ownerId, by.ownerId) : undefined),
      )
      .for("update");
    if (!link)
      throw new ApiError(404, "not_found", by.kind === "owner" ? "no such bot among yours" : "this agent has no owner");
    await tx.delete(agentOwners).where(eq(agentOwners.agentId, agentId));
    await tx
      .update(agents)
      .set({ pausedAt: null, pauseReason: null, rotationPublicKey: null, rotationAuthorisedAt: null })
      .where(eq(agents.id, agentId));
    await audit(tx, {
      event: "owner.unpaired",
      actor: by.kind === "owner" ? ownerActor(by.ownerId) : agentActor(agentId),
      targetId: agentId,
      ...meta,
      detail: { owner_id: link.ownerId, by: by.kind },
    });
    return {
      standingChanged: true,
      event: {
        type: "owner_unpaired",
        owner: { id: link.ownerId, display_name: await ownerName(tx, link.ownerId) },
        by: by.kind,
        reason: null,
        created_at: new Date().toISOString(),
      },
    };
  });
}

/** Issue 19: the owner sets (header) or clears (null) its bot's webhook auth header; audited. */
export async function setBotWebhookAuth(
  db: Database,
  ownerId: string,
  agentId: string,
  header: WebhookAuthHeader | null,
  authKey: string | undefined,
  meta: RequestMeta,
): Promise<WebhookAuthHeaderView | null> {
  return withActor(db, SYSTEM, async (tx) => {
    await ownedLink(tx, ownerId, agentId);
    const out = await setWebhookAuthHeader(tx, agentId, header, authKey);
    await audit(tx, {
      event: "webhook.auth_header_set",
      actor: ownerActor(ownerId),
      targetId: agentId,
      ...meta,
      detail: { name: header?.name ?? null, by: "owner" },
    });
    return out;
  });
}

// ---------------------------------------------------------------- the console

const BotCursor = z.object({ t: z.string(), id: z.uuid() });

type BotSqlRow = {
  id: string;
  username: string;
  display_name: string | null;
  presence: string;
  last_seen_at: string | null;
  paused_at: string | null;
  pause_reason: string | null;
  paired_at: string;
  paired_key: string;
  public_key: string;
  rotation_pending: boolean;
  mo: number | null;
  mw: number | null;
  it: number | null;
  mph: number[] | null;
  wakes_sent: number;
  wakes_suppressed: number;
  webhook_failures: number;
  dlq: number;
  reports: number;
  servers: number;
};

const PRESENCE = new Set(["online", "idle", "dnd", "offline"]);

function botRow(r: BotSqlRow, counters: { rate_limit_refusals: number; slow_modes: number }): BotRow {
  return {
    id: r.id,
    username: r.username,
    display_name: r.display_name,
    presence: (PRESENCE.has(r.presence) ? r.presence : "offline") as BotRow["presence"],
    last_seen_at: iso(r.last_seen_at),
    paused_at: iso(r.paused_at),
    pause_reason: r.pause_reason,
    paired_at: iso(r.paired_at) ?? "",
    stats: {
      messages_per_hour: r.mph ?? new Array(24).fill(0),
      wakes_sent: r.wakes_sent,
      wakes_suppressed: r.wakes_suppressed,
      webhook_failures: r.webhook_failures,
      dlq: r.dlq,
      rate_limit_refusals: counters.rate_limit_refusals,
      slow_modes: counters.slow_modes,
      reports: r.reports,
      servers: r.servers,
    },
  };
}

/**
 * The console's rows, computed from the existing tables in one query (as the platform, for exactly the
 * bots this observer owns): presence and last seen (agents), messages per hour over 24 h (messages),
 * wake-ups and deliveries (webhook_deliveries, 24 h), reports (channel_reports), servers
 * (server_members). Refusals and slow modes come from the bot's hub (`counters`).
 */
async function botRows(
  db: Database,
  ownerId: string,
  where: { agentId?: string; after?: { t: string; id: string } | null; limit: number },
) {
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute<BotSqlRow & { t: string }>(sql`
      select a.id, a.username, a.display_name, a.presence, a.last_seen_at, a.paused_at, a.pause_reason,
             o.paired_at, to_char(o.paired_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t,
             a.public_key, a.rotation_public_key is not null as rotation_pending,
             o.max_outbound_per_hour as mo, o.max_inbound_wakes_per_hour as mw, o.idle_timeout_seconds as it,
             (select array_agg(coalesce(c.n, 0) order by g.h)
                from generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') g(h)
                left join (select date_trunc('hour', m.created_at) as h, count(*)::int as n from messages m
                            where m.agent_id = a.id and m.created_at >= date_trunc('hour', now()) - interval '23 hours'
                            group by 1) c on c.h = g.h) as mph,
             (select count(*) from webhook_deliveries d where d.agent_id = a.id and d.created_at > now() - interval '24 hours'
                and d.status <> 'suppressed')::int as wakes_sent,
             (select count(*) from webhook_deliveries d where d.agent_id = a.id and d.created_at > now() - interval '24 hours'
                and d.status = 'suppressed')::int as wakes_suppressed,
             (select count(*) from webhook_deliveries d where d.agent_id = a.id and d.created_at > now() - interval '24 hours'
                and d.status in ('failed', 'retrying'))::int as webhook_failures,
             (select count(*) from webhook_deliveries d where d.agent_id = a.id and d.created_at > now() - interval '24 hours'
                and d.status = 'dead')::int as dlq,
             (select count(*) from channel_reports cr where cr.target_agent_id = a.id)::int as reports,
             (select count(*) from server_members sm where sm.agent_id = a.id)::int as servers
        from agent_owners o join agents a on a.id = o.agent_id
       where o.owner_id = ${ownerId}::uuid
         ${where.agentId ? sql`and o.agent_id = ${where.agentId}::uuid` : sql``}
         ${where.after ? sql`and (o.paired_at, o.agent_id) < (${where.after.t}::timestamptz, ${where.after.id}::uuid)` : sql``}
       order by o.paired_at desc, o.agent_id desc
       limit ${where.limit + 1}`);
    return r.rows;
  });
}

export type CounterSource = (agentId: string) => Promise<{ rate_limit_refusals: number; slow_modes: number }>;

const noCounters: CounterSource = async () => ({ rate_limit_refusals: 0, slow_modes: 0 });

/** GET /owners/me/bots: the observer's bots, newest pairing first (keyset on paired_at, agent id). */
export async function listBots(
  db: Database,
  ownerId: string,
  q: { cursor?: string; limit: number },
  counters: CounterSource = noCounters,
): Promise<Page<BotRow>> {
  const after = decodeCursor(q.cursor, BotCursor);
  const rows = await botRows(db, ownerId, { after, limit: q.limit });
  const page = pageOf(rows, q.limit, (r) => ({ t: r.t, id: r.id }));
  const items = await Promise.all(page.items.map(async (r) => botRow(r, await counters(r.id))));
  return { items, next_cursor: page.next_cursor };
}

/** GET /owners/me/bots/:id: one bot with its key fingerprint and owner limits. */
export async function getBot(
  db: Database,
  ownerId: string,
  agentId: string,
  counters: CounterSource = noCounters,
): Promise<BotDetail> {
  const [r] = await botRows(db, ownerId, { agentId, limit: 1 });
  if (!r) throw new ApiError(404, "not_found", "no such bot among yours");
  return {
    ...botRow(r, await counters(r.id)),
    key_fingerprint: await keyFingerprint(r.public_key),
    limits: { max_outbound_per_hour: r.mo, max_inbound_wakes_per_hour: r.mw, idle_timeout_seconds: r.it },
    rotation_pending: r.rotation_pending,
  };
}

const AuditCursor = z.object({ id: z.number().int() });

/**
 * GET /owners/me/bots/:id/audit: the bot's audit entries since the pairing (as target or as actor),
 * newest first, keyset on the entry id. Read as the owner: RLS (audit_log_owner_select) shows nothing
 * else. Addresses are left out.
 */
export async function botAudit(
  db: Database,
  ownerId: string,
  agentId: string,
  q: { cursor?: string; limit: number },
): Promise<Page<AuditEntryView>> {
  const key = decodeCursor(q.cursor, AuditCursor);
  return withActor(db, observerActor(ownerId), async (tx) => {
    const [link] = await tx
      .select({ a: agentOwners.agentId })
      .from(agentOwners)
      .where(and(eq(agentOwners.agentId, agentId), eq(agentOwners.ownerId, ownerId)));
    if (!link) throw new ApiError(404, "not_found", "no such bot among yours");
    const r = await tx.execute<{
      id: string;
      event: string;
      actor_kind: string;
      actor_id: string | null;
      detail: unknown;
      created_at: string;
    }>(
      sql`select id::text as id, event, actor_kind, actor_id, detail, created_at from audit_log
           where (target_id = ${agentId}::uuid or actor_id = ${agentId}::uuid)
             ${key ? sql`and id < ${key.id}` : sql``}
           order by id desc limit ${q.limit + 1}`,
    );
    return pageOf(
      r.rows,
      q.limit,
      (row) => ({ id: Number(row.id) }),
      (row) => ({
        id: row.id,
        action: row.event,
        actor:
          row.actor_kind === "observer" && row.actor_id === ownerId
            ? "owner"
            : ((["agent", "observer", "system", "anonymous"].includes(row.actor_kind)
                ? row.actor_kind
                : "system") as AuditEntryView["actor"]),
        detail: row.detail ?? null,
        created_at: iso(row.created_at) ?? "",
      }),
    );
  });
}

/** Does this observer own this bot? (404 otherwise) — for the owner's key routes, read as the owner. */
export async function assertOwns(db: Database, ownerId: string, agentId: string): Promise<void> {
  const [link] = await withActor(db, observerActor(ownerId), (tx) =>
    tx
      .select({ a: agentOwners.agentId })
      .from(agentOwners)
      .where(and(eq(agentOwners.agentId, agentId), eq(agentOwners.ownerId, ownerId))),
  );
  if (!link) throw new ApiError(404, "not_found", "no such bot among yours");
}

// ---------------------------------------------------------------- live effects (after commit)

type EffectEnv = Pick<Bindings, "AGENT_HUB" | "CHANNEL">;

/**
 * Channels whose objects may hold the agent's standing: those of the servers it is a member of (open
 * threads included) and its DMs. Pause, resume and limits are rare owner acts; each costs one RPC per
 * channel, so a post right after the response already meets the new standing.
 */
export async function agentChannelIds(db: Database, agentId: string): Promise<string[]> {
  const r = await withActor(db, SYSTEM, (tx) =>
    tx.execute<{ id: string }>(sql`
      select c.id from channels c join server_members m on m.server_id = c.server_id
        left join threads t on t.channel_id = c.id
       where m.agent_id = ${agentId}::uuid and (c.parent_id is null or t.archived_at is null)
      union
      select c.id from channels c where c.type = 'dm' and (c.dm_agent_a_id = ${agentId}::uuid or c.dm_agent_b_id = ${agentId}::uuid)`),
  );
  return r.rows.map((x) => x.id);
}

/** Apply a control's live effects: channel caches re-read the agent, the hub hears the event. */
export async function applyOwnerEffects(
  env: EffectEnv,
  db: Database,
  agentId: string,
  out: ControlOutcome,
  push: (r: Revocation) => Promise<void>,
): Promise<void> {
  if (out.revocation) await push(out.revocation);
  if (out.standingChanged) {
    const ids = await agentChannelIds(db, agentId);
    // the agent's channel sockets hear why their sends are (no longer) refused
    const tell = out.event?.type === "owner_paused" || out.event?.type === "owner_resumed" ? out.event : null;
    const frame = tell ? ownerEventFrame(tell) : null;
    await Promise.allSettled(
      ids.map((id) => env.CHANNEL.get(env.CHANNEL.idFromName(id)).ownerChanged(id, agentId, frame)),
    );
    try {
      await env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId)).configChanged();
    } catch {
      // the hub re-reads its config within its cache time
    }
  }
  if (out.event) {
    try {
      await env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId)).ownerEvent(out.event);
    } catch (e) {
      console.warn(
        JSON.stringify({ level: "warn", msg: "owner event push failed", agent_id: agentId, error: String(e) }),
      );
    }
  }
}
