// Durable before acked: every message is committed to Postgres before its ack or broadcast, by group
// commit. Posts arriving while a batch's statement is in flight wait and go together in the next one, so
// the cost is ONE round trip per batch, never one per message: the batch is a single call of
// app.post_messages (migrations/0016_post_batch.sql), which declares the system actor, validates reply_to
// (same channel), resolves @mentions, takes consecutive seqs from channels.last_seq for the rows it
// inserts (the object is the only writer of its channel, so seqs are strictly increasing and gap-free),
// inserts the rows and bumps the server's activity counters, in one implicit transaction. The batch size
// follows the load by itself: a quiet channel commits each post alone, at once (no timer, no added
// latency); under load everything that queued during the previous round trip goes in the next (bounded
// by MAX_BATCH rows / MAX_BATCH_CHARS). See docs/REALTIME.md "Persistence" and docs/BENCHMARKS.md
// "Group commit (issue 25)".
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
import { toApiErrorFromDb } from "../../common/db/errors";
import { uuidv7 } from "../../common/ids";
import { logJson } from "../../common/trace";
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
  /** mentioned usernames, parsed once when queued (the batch before it may still be in flight) */
  names: string[];
}

/** A batch's rows as sent (null until the statement is sent): what #recheck looks for after a lost answer. */
interface Attempt {
  planned: { i: number; id: string }[] | null;
  createdAt: Date;
}

/**
 * Bounds of one statement: rows, and characters of content (a row holds ≤ 4,000; a json row's data ≤ 16 KB).
 * Under load a batch takes everything queued up to these; a quiet channel commits a post alone, at once.
 */
export const MAX_BATCH = 1024;
export const MAX_BATCH_CHARS = 2_000_000;

/** Batch-size histogram buckets (upper bounds): 1, 2–4, 5–16, 17–64, 65–256, 257+. */
const SIZE_BOUNDS = [1, 4, 16, 64, 256, Number.POSITIVE_INFINITY];

/** What the committer did since it was created (issue 25; logged by the object with COMMIT_STATS). */
export interface CommitStats {
  /** batches committed or failed */
  batches: number;
  /** posts in them */
  posts: number;
  /** statements sent to Postgres (one per batch; more only when a failed batch is retried in parts) */
  statements: number;
  /** largest batch */
  maxBatch: number;
  /** batches per size bucket (SIZE_BOUNDS) */
  sizes: number[];
  /** ms from a batch's statement sent to its answer, summed */
  inFlightMs: number;
}

const STATS_EVERY_MS = 2_000;

const unavailable = (message: string): PostOutcome => ({ ok: false, code: "unavailable", message });

export class GroupCommitter {
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  readonly stats: CommitStats = {
    batches: 0,
    posts: 0,
    statements: 0,
    maxBatch: 0,
    sizes: SIZE_BOUNDS.map(() => 0),
    inFlightMs: 0,
  };
  /** debug (COMMIT_STATS): called with the totals at most every STATS_EVERY_MS, when the queue empties */
  onStats: ((s: CommitStats) => void) | null = null;
  #statsAt = 0;

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
      this.#queue.push({ author, input, resolve, names: parseMentions(input.content) });
      this.#kick();
    });
  }

  /**
   * Start draining unless a drain runs. A drain that is finishing (its last batch resolved, its promise
   * not yet settled) may miss posts queued by the continuations of that batch's promises: they are picked
   * up here when it ends, never left waiting.
   */
  #kick(): void {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      this.#kick();
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** The next batch: everything queued, up to the statement's bounds (at least one post). */
  #take(): Pending[] {
    let n = 0;
    let chars = 0;
    for (const p of this.#queue) {
      chars += p.input.content.length + (p.input.contentType === "json" ? 16_384 : 0);
      if (n > 0 && (n >= MAX_BATCH || chars > MAX_BATCH_CHARS)) break;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#take();
      const s = this.stats;
      s.batches++;
      s.posts += batch.length;
      if (batch.length > s.maxBatch) s.maxBatch = batch.length;
      const bucket = SIZE_BOUNDS.findIndex((b) => batch.length <= b);
      s.sizes[bucket] = (s.sizes[bucket] ?? 0) + 1;
      const outcomes = await this.#settle(batch);
      for (let i = 0; i < batch.length; i++) {
        batch[i]?.resolve(outcomes[i] ?? unavailable("not stored"));
      }
    }
    if (this.onStats && Date.now() - this.#statsAt >= STATS_EVERY_MS) {
      this.#statsAt = Date.now();
      this.onStats(this.stats);
    }
  }

  /**
   * Commit one batch and publish what was stored (onCommitted); the outcome of each post. The batch's
   * statement is one transaction: it stores all of it or none of it.
   *  - Postgres refused it for its data (a row that cannot be stored: a constraint, a vanished author):
   *    nothing was stored, so the batch is retried in halves, in order, until the row that cannot be stored
   *    is alone; that post alone is refused (validation_failed, with the database's reason), the others are
   *    stored and acked with consecutive seqs.
   *  - The connection failed: Postgres may have committed it (the answer lost) or not; #recheck looks its
   *    rows up once, so a stored message is acked rather than refused (the sender would store it twice).
   */
  async #settle(batch: Pending[]): Promise<PostOutcome[]> {
    const attempt: Attempt = { planned: null, createdAt: new Date() };
    let outcomes: PostOutcome[];
    try {
      outcomes = await this.#commit(batch, attempt);
    } catch (e) {
      const refused = refusedRow(e);
      if (refused !== null) {
        if (batch.length === 1) return [{ ok: false, code: "validation_failed", message: refused }];
        const half = Math.ceil(batch.length / 2);
        const first = await this.#settle(batch.slice(0, half));
        return [...first, ...(await this.#settle(batch.slice(half)))];
      }
      this.onDbError(e);
      const recovered = attempt.planned ? await this.#recheck(batch, attempt) : null;
      if (!recovered) return batch.map(() => unavailable("message not stored; retry shortly"));
      outcomes = recovered;
    }
    this.#publish(outcomes);
    return outcomes;
  }

  /** onCommitted with the stored messages of one batch: new ones in seq order, then resends. */
  #publish(outcomes: PostOutcome[]): void {
    // the batch's new rows took consecutive seqs in batch order
    const fresh: CommittedMessage[] = [];
    const dups: CommittedMessage[] = [];
    for (const o of outcomes) {
      if (!o.ok) continue;
      if (o.message.duplicate) dups.push(o.message);
      else fresh.push(o.message);
    }
    if (dups.length) fresh.push(...dups);
    if (!fresh.length) return;
    try {
      this.onCommitted(fresh);
    } catch (e) {
      // stored is stored: a failure after the commit must not turn into "not stored" for the senders
      logJson("error", "after commit failed", { channel: this.channelId(), error: String(e) });
    }
  }

  /**
   * After a failed commit: the batch's outcomes if it is in Postgres (all or none: one transaction, so one
   * stored row means all of it committed). A planned row that is missing from a committed batch was a
   * resend of a stored nonce (or had a bad reply_to): it is answered "unavailable", and the client's retry
   * with the same nonce is answered with the stored message.
   */
  async #recheck(batch: Pending[], attempt: Attempt): Promise<PostOutcome[] | null> {
    const planned = attempt.planned ?? [];
    if (!planned.length) return null;
    try {
      const found = await withActor(this.db(), SYSTEM, async (tx) => {
        const res = await tx.execute<{
          id: string;
          seq: string | number;
          mentions: string;
          reply_author: string | null;
        }>(
          sql`select m.id, m.seq, array_to_string(m.mentions, ',') as mentions,
                     (select r.agent_id from messages r where r.id = m.reply_to) as reply_author
              from messages m where m.id = any(${`{${planned.map((r) => r.id).join(",")}}`}::uuid[])`,
        );
        if (res.rows.length === 0) return null;
        const people = new Set<string>([...this.dmAgents(), ...batch.map((p) => p.author.agentId)]);
        for (const r of res.rows) {
          for (const id of splitIds(r.mentions)) people.add(id);
          if (r.reply_author) people.add(r.reply_author);
        }
        const blocks = await tx.execute<{ pair: string }>(
          sql`select blocker_id::text || ' ' || blocked_id::text as pair from agent_blocks
              where blocker_id = any(${`{${[...people].join(",")}}`}::uuid[])
                and blocked_id = any(${`{${[...people].join(",")}}`}::uuid[])`,
        );
        return { rows: res.rows, pairs: new Set(blocks.rows.map((b) => b.pair)) };
      });
      if (!found) return null;
      const stored = new Map(found.rows.map((r) => [r.id, r]));
      const lost = unavailable("not confirmed; retry with the same nonce");
      const out: PostOutcome[] = batch.map(() => lost);
      for (const { i, id } of planned) {
        const p = batch[i];
        const row = stored.get(id);
        if (!p || !row) continue;
        const mentions = splitIds(row.mentions);
        const silenced = found.pairs.size
          ? silencedFor(found.pairs, p.author.agentId, mentions, row.reply_author, this.dmAgents())
          : NONE;
        out[i] = {
          ok: true,
          message: this.#message(
            this.channelId(),
            p,
            id,
            Number(row.seq),
            attempt.createdAt,
            mentions,
            row.reply_author,
            silenced,
          ),
        };
      }
      // a resend inside the batch takes its first post's outcome (#commit's sameAs)
      const firstOf = new Map<string, number>();
      for (const [i, p] of batch.entries()) {
        const key = nonceKey(p);
        if (key === null) continue;
        const first = firstOf.get(key);
        if (first === undefined) firstOf.set(key, i);
        else out[i] = asResend(out[first] ?? lost, p);
      }
      return out;
    } catch (e) {
      this.onDbError(e);
      return null;
    }
  }

  #message(
    channelId: string,
    p: Pending,
    id: string,
    seq: number,
    createdAt: Date,
    mentions: string[],
    replyToAuthor: string | null,
    silenced: ReadonlySet<string>,
  ): CommittedMessage {
    const json = p.input.contentType === "json";
    return {
      id,
      seq,
      channelId,
      author: p.author,
      content: p.input.content,
      contentType: p.input.contentType,
      data: json ? (p.input.data ?? {}) : null,
      schema: json ? (p.input.schema ?? null) : null,
      replyTo: p.input.replyTo,
      mentions,
      createdAt,
      replyToAuthor,
      nonce: p.input.nonce,
      origin: p.input.origin ?? null,
      requestId: p.input.requestId,
      duplicate: false,
      silenced,
      editedAt: null,
    };
  }

  /**
   * One round trip: app.post_messages (migrations/0016_post_batch.sql) declares the system actor, checks
   * reply_to (same channel), resolves @mentions, answers resent nonces with the stored message, takes
   * consecutive seqs, inserts, bumps the server's (and a thread's) counters and reports the blocks between
   * the batch's authors and the agents they would notify — as one statement, one implicit transaction.
   */
  async #commit(batch: Pending[], attempt: Attempt): Promise<PostOutcome[]> {
    // a nonce repeated inside the batch: later posts take the first one's outcome
    // (an empty nonce is no idempotency key: it is echoed in the ack but neither deduplicated nor stored)
    const firstOf = new Map<string, number>();
    const sameAs: (number | null)[] = [];
    const rows: number[] = []; // batch indices sent to Postgres, in order (k = position + 1)
    for (let i = 0; i < batch.length; i++) {
      const key = nonceKey(batch[i] as Pending);
      const first = key === null ? undefined : firstOf.get(key);
      if (first !== undefined) {
        sameAs.push(first);
        continue;
      }
      if (key !== null) firstOf.set(key, i);
      sameAs.push(null);
      rows.push(i);
    }
    const createdAt = attempt.createdAt;
    const ms = createdAt.getTime();
    const channelId = this.channelId();
    const ids: string[] = [];
    const agents: string[] = [];
    const contents: string[] = [];
    const types: string[] = [];
    const replyTo: (string | null)[] = [];
    const names: (string | null)[] = [];
    const nonces: (string | null)[] = [];
    const metadata: (string | null)[] = [];
    for (const i of rows) {
      const p = batch[i] as Pending;
      ids.push(uuidv7(ms));
      agents.push(p.author.agentId);
      contents.push(p.input.content);
      types.push(p.input.contentType);
      replyTo.push(p.input.replyTo);
      names.push(p.names.length ? p.names.join(" ") : null);
      nonces.push(p.input.nonce || null);
      metadata.push(metadataOf(p.input));
    }
    attempt.planned = rows.map((i, k) => ({ i, id: ids[k] as string }));
    const t0 = Date.now();
    this.stats.statements++;
    // thirteen parameters whatever the batch size (arrays); metadata is null for text and code
    const res = await this.db().orm.execute<CommitRow>(
      sql`select * from app.post_messages(${channelId}::uuid, ${this.serverId()}::uuid, ${this.isThread()}::boolean,
            ${createdAt.toISOString()}::timestamptz, ${sql.param(ids)}::uuid[], ${sql.param(agents)}::uuid[],
            ${sql.param(contents)}::text[], ${sql.param(types)}::text[], ${sql.param(replyTo)}::uuid[],
            ${sql.param(names)}::text[], ${sql.param(nonces)}::text[], ${sql.param(metadata)}::text[],
            ${sql.param([...this.dmAgents()])}::uuid[])`,
    );
    this.stats.inFlightMs += Date.now() - t0;
    let blocked: ReadonlySet<string> = NONE;
    const byK = new Map<number, CommitRow>();
    for (const row of res.rows) {
      if (row.status === "blocks") blocked = new Set(row.blocked ?? []);
      else byK.set(Number(row.k), row);
    }
    const outcomes: PostOutcome[] = new Array(batch.length);
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k] as number;
      const p = batch[i] as Pending;
      const row = byK.get(k + 1);
      if (!row) throw new Error("channel vanished");
      if (row.status === "bad_reply") {
        outcomes[i] = { ok: false, code: "validation_failed", message: "reply_to must be a message of this channel" };
      } else if (row.status === "dup") {
        outcomes[i] = {
          ok: true,
          message: storedMessage(this.#message(channelId, p, row.id, 0, createdAt, [], null, NONE), row),
        };
      } else {
        const mentions = splitIds(row.mentions);
        const silenced = blocked.size
          ? silencedFor(blocked, p.author.agentId, mentions, row.reply_author, this.dmAgents())
          : NONE;
        outcomes[i] = {
          ok: true,
          message: this.#message(
            channelId,
            p,
            row.id,
            Number(row.seq),
            createdAt,
            mentions,
            row.reply_author,
            silenced,
          ),
        };
      }
    }
    for (let i = 0; i < batch.length; i++) {
      const first = sameAs[i];
      // the same nonce twice in one batch: the later post is a resend of the first, acked on its own socket
      if (first !== null && first !== undefined)
        outcomes[i] = asResend(outcomes[first] as PostOutcome, batch[i] as Pending);
    }
    return outcomes;
  }
}

const NONE: ReadonlySet<string> = new Set();

const nonceKey = (p: Pending): string | null => (p.input.nonce ? `${p.author.agentId}\n${p.input.nonce}` : null);

const splitIds = (s: string | null): string[] => (s ? s.split(",") : []);

/** A later post with the same nonce as an earlier one of its batch: the first one's outcome, acked on its own socket. */
function asResend(first: PostOutcome, p: Pending): PostOutcome {
  return first.ok
    ? { ok: true, message: { ...first.message, origin: p.input.origin ?? null, duplicate: true } }
    : first;
}

/** The agents this author's message must not notify: a block stands between them (either way). */
function silencedFor(
  pairs: ReadonlySet<string>,
  author: string,
  mentions: readonly string[],
  replyAuthor: string | null,
  dm: readonly string[],
): ReadonlySet<string> {
  const out = new Set<string>();
  const check = (t: string) => {
    if (pairs.has(`${author} ${t}`) || pairs.has(`${t} ${author}`)) out.add(t);
  };
  for (const t of mentions) check(t);
  if (replyAuthor) check(replyAuthor);
  for (const t of dm) check(t);
  return out.size ? out : NONE;
}

/** One row of app.post_messages (migrations/0016_post_batch.sql). */
type CommitRow = {
  /** 1-based position in the batch's arrays; 0 for the blocks row */
  k: number;
  status: "new" | "dup" | "bad_reply" | "blocks";
  id: string;
  seq: string | number;
  content: string | null;
  content_type: string | null;
  reply_to: string | null;
  /** new rows: the author of the message replied to */
  reply_author: string | null;
  /** comma-separated agent ids */
  mentions: string | null;
  created_ms: number | null;
  edited_ms: number | null;
  /** messages.metadata of a stored json message (duplicates only) */
  metadata: { data?: Record<string, unknown>; schema?: string | null } | null;
  /** "blocker blocked" uuid pairs (the blocks row only) */
  blocked: string[] | null;
};

/**
 * A database refusal that is about the data of a row (SQLSTATE classes 22 data exception and 23 integrity
 * constraint violation): the statement was rolled back, nothing is stored. Its reason, else null (a
 * connection failure or anything else: the outcome is unknown or retryable).
 */
function refusedRow(e: unknown): string | null {
  let cur: unknown = e;
  for (let i = 0; i < 5 && typeof cur === "object" && cur !== null; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code)) {
      return `message not stored: ${toApiErrorFromDb(cur)?.message ?? "the database refused it"}`;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** A resend answered with the stored message (as stored now: an edit since shows). */
function storedMessage(planned: CommittedMessage, d: CommitRow): CommittedMessage {
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
    mentions: splitIds(d.mentions),
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
