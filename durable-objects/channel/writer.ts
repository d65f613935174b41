// Durable before acked: every message is committed to Postgres before its ack or broadcast, by group
// commit. Posts arriving while a transaction is in flight wait and go together in the next one, so the
// cost is one transaction per batch, never one round trip per message. The transaction validates
// reply_to (same channel), resolves @mentions, takes `batch` consecutive seqs from channels.last_seq
// (the object is the only writer of its channel, so seqs are strictly increasing and gap-free), inserts
// the rows and bumps the server's activity counters. See docs/REALTIME.md "Persistence".
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { uuidv7 } from "../../common/ids";
import { type ContentType, parseMentions } from "../../protocol";
import type { MemberInfo } from "./access";

export interface PostInput {
  content: string;
  contentType: ContentType;
  /** issue 18: content_type json only (validated by protocol/structured.ts before it gets here) */
  data?: Record<string, unknown> | null;
  schema?: string | null;
  replyTo: string | null;
  nonce: string | null;
  /** the socket that sent it (gets the ack), if any */
  origin?: WebSocket | null;
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
  origin: WebSocket | null;
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
    /** called once per committed batch, messages in seq order, before any promise resolves */
    private readonly onCommitted: (msgs: CommittedMessage[]) => void,
    private readonly onDbError: (e: unknown) => void,
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

  /** After a failed commit: the batch's outcomes if its rows are in Postgres (all or none: one transaction). */
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
      if (msgs.some((m) => !seqOf.has(m.id))) return null;
      return planned.map((o) =>
        o.ok ? { ok: true, message: { ...o.message, seq: seqOf.get(o.message.id) ?? 0 } } : o,
      );
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
      const outcomes: (PostOutcome | null)[] = batch.map((p) =>
        p.input.replyTo && !replies.has(p.input.replyTo)
          ? { ok: false, code: "validation_failed", message: "reply_to must be a message of this channel" }
          : null,
      );
      const accepted = batch.flatMap((p, i) => (outcomes[i] === null ? [{ p, i }] : []));
      const done = () => outcomes.map((o) => o ?? { ok: false as const, code: "unavailable" as const, message: "" });
      if (!accepted.length) return done();
      // one statement: take the seqs, insert the rows, bump the server's activity counters
      const now = Date.now();
      const createdAt = new Date(now);
      const n = accepted.length;
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
      });
      // what this batch will be if it commits (seqs unknown yet), for #recheck after a lost answer
      attempt.outcomes = outcomes.map((o, i) => {
        const r = prepared.find((x) => x.i === i);
        return r
          ? { ok: true as const, message: message(r, 0) }
          : (o ?? { ok: false, code: "unavailable", message: "" });
      });
      // issue 18: a thread's row counts its messages and activity in the same statement
      const thread = this.isThread()
        ? sql`thr as (update threads set message_count = message_count + ${n}, last_message_at = now(),
                        activity_at = now() where channel_id = ${channelId} returning 1),`
        : sql``;
      // eight array parameters, whatever the batch size (a VALUES list of 8 × n parameters is much slower);
      // metadata is null for text and code (the common case costs one array of nulls)
      const res = await tx.execute<{ id: string; seq: string | number }>(
        sql`with bump as (update channels set last_seq = last_seq + ${n} where id = ${channelId} returning last_seq),
             srv as (update servers set message_count = message_count + ${n}, last_message_at = now()
                     where id = ${serverId}::uuid returning 1),
             ${thread}
             ins as (insert into messages (id, channel_id, agent_id, content, content_type, seq, reply_to, mentions, created_at, metadata)
                     select v.id, ${channelId}::uuid, v.agent_id, v.content, v.content_type,
                            (select last_seq from bump) - ${n} + v.k, v.reply_to, v.mentions::uuid[],
                            ${createdAt.toISOString()}::timestamptz, v.metadata::jsonb
                     from unnest(${sql.param(prepared.map((r) => r.id))}::uuid[], ${sql.param(prepared.map((r) => r.p.author.agentId))}::uuid[],
                                 ${sql.param(prepared.map((r) => r.p.input.content))}::text[],
                                 ${sql.param(prepared.map((r) => r.p.input.contentType))}::text[],
                                 ${sql.param(prepared.map((r) => r.p.input.replyTo))}::uuid[],
                                 ${sql.param(prepared.map((r) => `{${r.mentions.join(",")}}`))}::text[],
                                 ${sql.param(prepared.map((r) => metadataOf(r.p.input)))}::text[])
                          with ordinality as v(id, agent_id, content, content_type, reply_to, mentions, metadata, k)
                     returning id, seq)
             select ins.id, ins.seq, (select count(*) from srv) as s from ins`,
      );
      const seqOf = new Map(res.rows.map((r) => [r.id, Number(r.seq)]));
      for (const r of prepared) {
        const seq = seqOf.get(r.id);
        if (seq === undefined) throw new Error("channel vanished");
        outcomes[r.i] = { ok: true, message: message(r, seq) };
      }
      return done();
    });
  }
}

/** messages.metadata of a post: {data, schema} for json, null otherwise. */
function metadataOf(input: PostInput): string | null {
  if (input.contentType !== "json") return null;
  return JSON.stringify({ data: input.data ?? {}, schema: input.schema ?? null });
}
