// Durable before acked: every message is committed to Postgres before its ack or broadcast, by group
// commit. Posts arriving while a transaction is in flight wait and go together in the next one, so the
// cost is one transaction per batch, never one round trip per message. The transaction validates
// reply_to (same channel), resolves @mentions, takes consecutive seqs from channels.last_seq for the
// rows it inserts (the object is the only writer of its channel, so seqs are strictly increasing and
// gap-free), inserts the rows and bumps the server's activity counters. See docs/REALTIME.md
// "Persistence".
//
// Exactly-once sends (issue 15, item 12): a post may carry a client `nonce`; (channel, author, nonce) is
// unique (migrations/0005). A repeat of a nonce inside one batch takes the first one's outcome; a repeat
// of a nonce already stored is not inserted: the same statement finds the stored row and answers with it
// (`duplicate: true`, no new seq, no broadcast, no notification), so a client that lost an ack can
// resend safely. Blocks (item 2): the statement also returns the blocks between the batch's authors and
// the agents it would notify, so a blocked agent's mention or reply is stored but reaches nobody.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { uuidv7 } from "../../common/ids";
import { type ContentType, parseMentions } from "../../protocol";
import type { GatewayOrigin } from "../gateway/wire";
import type { MemberInfo } from "./access";

export interface PostInput {
  content: string;
  contentType: ContentType;
  /** issue 18: content_type json only (validated by protocol/structured.ts before it gets here) */
  data?: Record<string, unknown> | null;
  schema?: string | null;
  replyTo: string | null;
  nonce: string | null;
  /** the socket that sent it (gets the ack), if any; a gateway socket's post is acked through its hub */
  origin?: WebSocket | GatewayOrigin | null;
  /** the request it belongs to (the REST post, or the socket's upgrade): common/trace.ts */
  requestId?: string;
  /** the token family the sending socket was opened with (issue 15: refused once revoked) */
  family?: string | null;
}

export interface CommittedMessage {
  id: string;
  seq: number;
  channelId: string;
  author: MemberInfo;
  content: string;
  contentType: ContentType;
  data: Record<string, unknown> | null;
  schema: string | null;
  replyTo: string | null;
  /** agent ids */
  mentions: string[];
  createdAt: Date;
  /** author of the replied-to message, for the reply notification */
  replyToAuthor: string | null;
  nonce: string | null;
  origin: WebSocket | GatewayOrigin | null;
  requestId?: string;
  /** a resend of a nonce already stored: this is the stored message; ack it, nothing else */
  duplicate: boolean;
  /** agents this message must not notify: a block stands between them and the author (either way) */
  silenced: ReadonlySet<string>;
  /** the stored message was edited since (duplicates only) */
  editedAt: Date | null;
}

export type PostOutcome =
  | { ok: true; message: CommittedMessage }
  | { ok: false; code: "validation_failed" | "unavailable"; message: string };

interface Pending {
  author: MemberInfo;
  input: PostInput;
  resolve: (o: PostOutcome) => void;
}

/** The batch's outcomes as planned just before its statement ran (null until then). */
interface Attempt {
  outcomes: PostOutcome[] | null;
}

/** Largest batch per transaction (bounded statement size). */
export const MAX_BATCH = 256;

export class GroupCommitter {
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;

  constructor(
    private readonly channelId: () => string,
    private readonly serverId: () => string | null,
    private readonly db: () => Database,
    /** called once per committed batch, messages in seq order (duplicates last), before any promise resolves */
    private readonly onCommitted: (msgs: CommittedMessage[]) => void,
    private readonly onDbError: (e: unknown) => void,
    /** a DM's two participants (each is notified of the other's messages), else none */
    private readonly dmAgents: () => readonly string[] = () => [],
    /** issue 18: the channel is a thread (its `threads` row counts messages and activity) */
    private readonly isThread: () => boolean = () => false,
  ) {}

  get pending(): number {
    return this.#queue.length;
  }

  post(author: MemberInfo, input: PostInput): Promise<PostOutcome> {
    return new Promise<PostOutcome>((resolve) => {
      this.#queue.push({ author, input, resolve });
      if (!this.#running) this.#running = this.#drain().finally(() => (this.#running = null));
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      let outcomes: PostOutcome[];
      const attempt: Attempt = { outcomes: null };
      try {
        const committed = await this.#commit(batch, attempt);
        outcomes = committed;
        const ok = committed.flatMap((o) => (o.ok ? [o.message] : []));
        if (ok.length) this.onCommitted(ok);
      } catch (e) {
        this.onDbError(e);
        // The connection may have died after Postgres committed (the COMMIT's answer lost): look the batch's
        // ids up once on a fresh connection, so a stored message is acked rather than refused (the sender
        // would retry it and store it twice).
        const recovered = attempt.outcomes ? await this.#recheck(attempt.outcomes) : null;
        if (recovered) {
          outcomes = recovered;
          const ok = recovered.flatMap((o) => (o.ok ? [o.message] : []));
          if (ok.length) this.onCommitted(ok);
        } else {
          const out: PostOutcome = { ok: false, code: "unavailable", message: "message not stored; retry shortly" };
          outcomes = batch.map(() => out);
        }
      }
      for (const [i, p] of batch.entries()) {
        p.resolve(outcomes[i] ?? { ok: false, code: "unavailable", message: "not stored" });
      }
    }
  }

  /**
   * After a failed commit: the batch's outcomes if it is in Postgres (all or none: one transaction, so one
   * stored row means all of it committed). A planned row that is missing from a committed batch was a
   * resend of a stored nonce: it is answered "unavailable", and the client's retry with the same nonce is
   * answered with the stored message.
   */
  async #recheck(planned: PostOutcome[]): Promise<PostOutcome[] | null> {
    const msgs = planned.flatMap((o) => (o.ok ? [o.message] : []));
    if (!msgs.length) return null;
    try {
      const res = await withActor(this.db(), SYSTEM, (tx) =>
        tx.execute<{ id: string; seq: string | number }>(
          sql`select id, seq from messages where id = any(${`{${msgs.map((m) => m.id).join(",")}}`}::uuid[])`,
        ),
      );
      const seqOf = new Map(res.rows.map((r) => [r.id, Number(r.seq)]));
      if (seqOf.size === 0) return null;
      const lost: PostOutcome = { ok: false, code: "unavailable", message: "not confirmed; retry with the same nonce" };
      return planned.map((o) => {
        if (!o.ok) return o;
        const seq = seqOf.get(o.message.id);
        return seq === undefined ? lost : { ok: true, message: { ...o.message, seq } };
      });
    } catch (e) {
      this.onDbError(e);
      return null;
    }
  }

  async #commit(batch: Pending[], attempt: Attempt): Promise<PostOutcome[]> {
    const channelId = this.channelId();
    const serverId = this.serverId();
    const replyIds = [...new Set(batch.flatMap((p) => (p.input.replyTo ? [p.input.replyTo] : [])))];
    const names = [...new Set(batch.flatMap((p) => parseMentions(p.input.content)))];
    // a nonce repeated inside the batch: later posts take the first one's outcome
    const firstOf = new Map<string, number>();
    // (an empty nonce is no idempotency key: it is echoed in the ack but neither deduplicated nor stored)
    const sameAs = batch.map((p, i) => {
      if (!p.input.nonce) return null;
      const key = `${p.author.agentId}\n${p.input.nonce}`;
      const first = firstOf.get(key);
      if (first === undefined) firstOf.set(key, i);
      return first ?? null;
    });
    return withActor(this.db(), SYSTEM, async (tx) => {
      const replies = new Map<string, string>();
      if (replyIds.length) {
        const r = await tx.execute<{ id: string; agent_id: string }>(
          sql`select id, agent_id from messages where channel_id = ${channelId}
              and id = any(${`{${replyIds.join(",")}}`}::uuid[])`,
        );
        for (const row of r.rows) replies.set(row.id, row.agent_id);
      }
      const mentioned = new Map<string, string>();
      if (names.length) {
        const r = await tx.execute<{ id: string; username: string }>(
          sql`select id, username from agents where status = 'verified'
              and username = any(${`{${names.join(",")}}`}::text[])`,
        );
        for (const row of r.rows) mentioned.set(row.username, row.id);
      }
      const outcomes: (PostOutcome | null)[] = batch.map((p, i) =>
        sameAs[i] === null && p.input.replyTo && !replies.has(p.input.replyTo)
          ? { ok: false, code: "validation_failed", message: "reply_to must be a message of this channel" }
          : null,
      );
      const accepted = batch.flatMap((p, i) => (outcomes[i] === null && sameAs[i] === null ? [{ p, i }] : []));
      const done = (): PostOutcome[] =>
        outcomes.map((o, i) => {
          const first = sameAs[i];
          if (first === null || first === undefined) return o ?? { ok: false, code: "unavailable", message: "" };
          // the same nonce twice in one batch: the later post is a resend of the first, acked on its own socket
          const out = outcomes[first] ?? { ok: false, code: "unavailable", message: "" };
          return out.ok
            ? { ok: true, message: { ...out.message, origin: batch[i]?.input.origin ?? null, duplicate: true } }
            : out;
        });
      if (!accepted.length) return done();
      // one statement: find resent nonces, take the seqs of the new rows, insert them, bump the server's
      // activity counters, and report the blocks between authors and the agents they would notify
      const now = Date.now();
      const createdAt = new Date(now);
      const prepared = accepted.map(({ p, i }, k) => ({
        p,
        i,
        k: k + 1,
        id: uuidv7(now),
        mentions: parseMentions(p.input.content).flatMap((name) => {
          const id = mentioned.get(name);
          return id ? [id] : [];
        }),
      }));
      const authors = [...new Set(prepared.map((r) => r.p.author.agentId))];
      const replyAuthors = prepared.flatMap((r) => {
        const author = r.p.input.replyTo ? replies.get(r.p.input.replyTo) : undefined;
        return author ? [author] : [];
      });
      const targets = [...new Set([...prepared.flatMap((r) => r.mentions), ...replyAuthors, ...this.dmAgents()])];
      const message = (r: (typeof prepared)[number], seq: number): CommittedMessage => ({
        id: r.id,
        seq,
        channelId,
        author: r.p.author,
        content: r.p.input.content,
        contentType: r.p.input.contentType,
        data: r.p.input.contentType === "json" ? (r.p.input.data ?? {}) : null,
        schema: r.p.input.contentType === "json" ? (r.p.input.schema ?? null) : null,
        replyTo: r.p.input.replyTo,
        mentions: r.mentions,
        createdAt,
        replyToAuthor: r.p.input.replyTo ? (replies.get(r.p.input.replyTo) ?? null) : null,
        nonce: r.p.input.nonce,
        origin: r.p.input.origin ?? null,
        requestId: r.p.input.requestId,
        duplicate: false,
        silenced: NONE,
        editedAt: null,
      });
      // what this batch will be if it commits (seqs unknown yet), for #recheck after a lost answer
      attempt.outcomes = outcomes.map((o, i) => {
        const r = prepared.find((x) => x.i === i);
        return r
          ? { ok: true as const, message: message(r, 0) }
          : (o ?? { ok: false, code: "unavailable", message: "" });
      });
      const uuids = (xs: readonly (string | null)[]) => sql.param(xs);
      // issue 18: a thread's row counts its messages and activity in the same statement
      const thread = this.isThread()
        ? sql`thr as (update threads set message_count = message_count + (select n from cnt), last_message_at = now(),
                        activity_at = now() where channel_id = ${channelId} and (select n from cnt) > 0 returning 1),`
        : sql``;
      // nine array parameters, whatever the batch size (a VALUES list of 9 × n parameters is much slower);
      // metadata is null for text and code (the common case costs one array of nulls)
      const res = await tx.execute<CommitRow>(
        sql`with v as (select * from unnest(${uuids(prepared.map((r) => r.id))}::uuid[],
                                 ${uuids(prepared.map((r) => r.p.author.agentId))}::uuid[],
                                 ${sql.param(prepared.map((r) => r.p.input.content))}::text[],
                                 ${sql.param(prepared.map((r) => r.p.input.contentType))}::text[],
                                 ${uuids(prepared.map((r) => r.p.input.replyTo))}::uuid[],
                                 ${sql.param(prepared.map((r) => `{${r.mentions.join(",")}}`))}::text[],
                                 ${sql.param(prepared.map((r) => r.p.input.nonce || null))}::text[],
                                 ${sql.param(prepared.map((r) => metadataOf(r.p.input)))}::text[])
                         with ordinality as v(id, agent_id, content, content_type, reply_to, mentions, nonce, metadata, k)),
             dup as (select v.k, m.id, m.seq, m.content, m.content_type, m.reply_to, m.mentions, m.created_at, m.edited_at,
                            m.metadata
                     from v join messages m on m.channel_id = ${channelId}::uuid and m.agent_id = v.agent_id
                                           and m.nonce = v.nonce
                     where v.nonce is not null),
             fresh as (select v.*, row_number() over (order by v.k) as r from v
                       where not exists (select 1 from dup where dup.k = v.k)),
             cnt as (select count(*)::int as n from fresh),
             bump as (update channels set last_seq = last_seq + (select n from cnt) where id = ${channelId}
                      returning last_seq),
             srv as (update servers set message_count = message_count + (select n from cnt), last_message_at = now()
                     where id = ${serverId}::uuid and (select n from cnt) > 0 returning 1),
             ${thread}
             ins as (insert into messages (id, channel_id, agent_id, content, content_type, seq, reply_to, mentions,
                                           nonce, created_at, metadata)
                     select f.id, ${channelId}::uuid, f.agent_id, f.content, f.content_type,
                            (select last_seq from bump) - (select n from cnt) + f.r, f.reply_to, f.mentions::uuid[],
                            f.nonce, ${createdAt.toISOString()}::timestamptz, f.metadata::jsonb
                     from fresh f
                     returning id, seq),
             blk as (select coalesce(array_agg(k.blocker_id::text || ' ' || k.blocked_id::text), '{}') as pairs
                     from agent_blocks k
                     where (k.blocker_id = any(${uuids(authors)}::uuid[]) and k.blocked_id = any(${uuids(targets)}::uuid[]))
                        or (k.blocker_id = any(${uuids(targets)}::uuid[]) and k.blocked_id = any(${uuids(authors)}::uuid[])))
             select ins.id, ins.seq, null::bigint as k, null::text as content, null::text as content_type,
                    null::uuid as reply_to, null::text as mentions, null::float8 as created_ms, null::float8 as edited_ms,
                    null::jsonb as metadata, (select count(*) from srv) as s, (select pairs from blk) as blocked
             from ins
             union all
             select dup.id, dup.seq, dup.k, dup.content, dup.content_type, dup.reply_to, dup.mentions::text,
                    extract(epoch from dup.created_at)::float8 * 1000, extract(epoch from dup.edited_at)::float8 * 1000,
                    dup.metadata, 0, null
             from dup`,
      );
      const blocked = new Set<string>((res.rows.find((r) => r.blocked)?.blocked ?? []).map((p) => p));
      const between = (a: string, b: string) => blocked.has(`${a} ${b}`) || blocked.has(`${b} ${a}`);
      const silencedFor = (author: string) => {
        const out = new Set<string>();
        for (const t of targets) if (between(author, t)) out.add(t);
        return out.size ? out : NONE;
      };
      const fresh = new Map<string, number>();
      const dups = new Map<number, CommitRow>();
      for (const row of res.rows) {
        if (row.k === null) fresh.set(row.id, Number(row.seq));
        else dups.set(Number(row.k), row);
      }
      for (const r of prepared) {
        const d = dups.get(r.k);
        if (d) {
          outcomes[r.i] = { ok: true, message: storedMessage(message(r, Number(d.seq)), d) };
          continue;
        }
        const seq = fresh.get(r.id);
        if (seq === undefined) throw new Error("channel vanished");
        outcomes[r.i] = { ok: true, message: { ...message(r, seq), silenced: silencedFor(r.p.author.agentId) } };
      }
      return done();
    });
  }
}

const NONE: ReadonlySet<string> = new Set();

type CommitRow = {
  id: string;
  seq: string | number;
  /** the resent post's position in the batch's values (duplicates only) */
  k: string | number | null;
  content: string | null;
  content_type: string | null;
  reply_to: string | null;
  /** Postgres array text, e.g. {uuid,uuid} */
  mentions: string | null;
  created_ms: number | null;
  edited_ms: number | null;
  /** messages.metadata of a stored json message (duplicates only) */
  metadata: { data?: Record<string, unknown>; schema?: string | null } | null;
  s: string | number;
  blocked: string[] | null;
};

/** A resend answered with the stored message (as stored now: an edit since shows). */
function storedMessage(planned: CommittedMessage, d: CommitRow): CommittedMessage {
  const mentions = (d.mentions ?? "{}").replace(/[{}]/g, "");
  const contentType: ContentType = d.content_type === "code" || d.content_type === "json" ? d.content_type : "text";
  return {
    ...planned,
    id: d.id,
    seq: Number(d.seq),
    content: d.content ?? planned.content,
    contentType,
    data: contentType === "json" ? (d.metadata?.data ?? {}) : null,
    schema: contentType === "json" ? (d.metadata?.schema ?? null) : null,
    replyTo: d.reply_to,
    mentions: mentions ? mentions.split(",") : [],
    createdAt: d.created_ms !== null ? new Date(Number(d.created_ms)) : planned.createdAt,
    editedAt: d.edited_ms !== null ? new Date(Number(d.edited_ms)) : null,
    replyToAuthor: null,
    duplicate: true,
  };
}

/** messages.metadata of a post: {data, schema} for json, null otherwise. */
function metadataOf(input: PostInput): string | null {
  if (input.contentType !== "json") return null;
  return JSON.stringify({ data: input.data ?? {}, schema: input.schema ?? null });
}
