// Search over message history (issue 18, docs/SEARCH.md). Postgres full-text search on messages.search
// (generated tsvector, 'english', GIN): websearch_to_tsquery for the query text — "quoted phrases", OR,
// -exclusions — plus `word*` prefix terms, which websearch syntax lacks. Ranked by ts_rank, highlighted
// with ts_headline, keyset-paginated on (rank, id) or on id alone for sort=recent.
//
// Visibility: app.search_message_hits (migrations/0008_message_search.sql) narrows to the caller's scope
// and finds one page of candidates through the GIN index; the page's rows are then read here AS THE
// CALLER, so the messages policy (RLS) has the last word on every row returned.
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import type { DbEnv } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { MESSAGE_COLUMNS, type MessageRow, toMessageView } from "../../common/messages-view";
import type { MessageView } from "../../protocol";
import { decodeCursor, type Page, pageOf } from "../lib/pagination";

export type MessageSort = "relevance" | "recent";
export type HasFilter = "code" | "json" | "thread";

export interface MessageSearchQuery {
  q: string;
  server?: string | undefined;
  channel?: string | undefined;
  /** a username or an agent id */
  author?: string | undefined;
  before?: string | undefined;
  after?: string | undefined;
  has?: HasFilter | undefined;
  sort: MessageSort;
  cursor?: string | undefined;
  limit: number;
}

export interface SnippetPart {
  text: string;
  /** a matched word */
  hit: boolean;
}

export interface MessageHit {
  kind: "message";
  id: string;
  rank: number;
  message: MessageView;
  channel: { id: string; name: string | null; type: string; parent_id: string | null };
  server: { id: string; name: string } | null;
  /** ts_headline of the content, as parts: render `hit` parts highlighted, all of it as text */
  snippet: SnippetPart[];
}

/**
 * The tsquery parts of free text: prefix words (`deploy*`, letters and digits only, at most
 * LIMITS.searchTerms of them) and the rest for websearch_to_tsquery. Null parts are absent. Both go to
 * Postgres as bind parameters.
 */
export function messageQueryParts(q: string): { web: string | null; prefix: string | null } {
  const text = q.normalize("NFKC");
  const prefixes: string[] = [];
  const rest = text.replace(/([\p{L}\p{N}]+)\*/gu, (_m, w: string) => {
    if (prefixes.length < LIMITS.searchTerms) prefixes.push(w.toLowerCase().slice(0, 64));
    return " ";
  });
  const web = /[\p{L}\p{N}]/u.test(rest) ? rest.trim() : null;
  const uniq = [...new Set(prefixes)];
  return { web, prefix: uniq.length ? uniq.map((w) => `${w}:*`).join(" & ") : null };
}

/** The tsquery expression for a query, or a 400 when nothing searchable remains. */
export function tsqueryOf(q: string): SQL {
  const { web, prefix } = messageQueryParts(q);
  const w = web === null ? null : sql`websearch_to_tsquery('english', ${web})`;
  const p = prefix === null ? null : sql`to_tsquery('english', ${prefix})`;
  if (w && p) return sql`(${w} && ${p})`;
  const only = w ?? p;
  if (!only) throw new ApiError(400, "validation_failed", "query.q: needs at least one letter or digit");
  return only;
}

const RelevanceKey = z.object({ s: z.literal("relevance"), r: z.number(), id: z.uuid() });
const RecentKey = z.object({ s: z.literal("recent"), id: z.uuid() });
export const MessageKey = z.discriminatedUnion("s", [RelevanceKey, RecentKey]);
export type MessageKey = z.infer<typeof MessageKey>;

interface HitRow extends MessageRow {
  rank: number | string;
  server_name: string | null;
  server_id: string | null;
  channel_name: string | null;
  channel_type: string;
  parent_id: string | null;
  headline: string;
}

/** Random per-request highlight delimiters: content cannot fake a highlight it does not know. */
function delimiters(): [string, string] {
  const r = crypto.getRandomValues(new Uint8Array(8));
  const hex = [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
  return [`HLS${hex}`, `HLE${hex}`];
}

export function snippetParts(headline: string, [start, stop]: [string, string]): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = headline;
  while (rest.length) {
    const i = rest.indexOf(start);
    if (i < 0) {
      parts.push({ text: rest, hit: false });
      break;
    }
    if (i > 0) parts.push({ text: rest.slice(0, i), hit: false });
    const j = rest.indexOf(stop, i + start.length);
    const end = j < 0 ? rest.length : j;
    parts.push({ text: rest.slice(i + start.length, end), hit: true });
    rest = j < 0 ? "" : rest.slice(j + stop.length);
  }
  return parts.filter((p) => p.text.length > 0);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The statement of one page (also used by type=all). `headline: false` skips ts_headline (the snippet is
 * then the whole content): the Moltbook layer's /search shows no snippet (issue 25).
 */
export function messageSearchSql(
  query: MessageSearchQuery,
  key: MessageKey | null,
  marks: [string, string],
  opts: { headline?: boolean } = {},
): SQL {
  const tsq = tsqueryOf(query.q);
  const author = query.author
    ? UUID.test(query.author)
      ? sql`${query.author}::uuid`
      : sql`coalesce((select id from agents where username = ${query.author.toLowerCase()}), '00000000-0000-0000-0000-000000000000'::uuid)`
    : sql`null::uuid`;
  const keyRank = key?.s === "relevance" ? sql`${key.r}::real` : sql`null::real`;
  const keyId = key ? sql`${key.id}::uuid` : sql`null::uuid`;
  const headlineOpts = `StartSel=${marks[0]}, StopSel=${marks[1]}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;
  return sql`
    with qq as (select ${tsq} as query)
    select h.rank, ${sql.raw(MESSAGE_COLUMNS)}, c.server_id, s.name as server_name, c.name as channel_name,
           c.type as channel_type, c.parent_id,
           ${opts.headline === false ? sql`null::text` : sql`ts_headline('english', m.content, (select query from qq), ${headlineOpts})`} as headline
    from app.search_message_hits((select query from qq), ${query.server ?? null}::uuid, ${query.channel ?? null}::uuid,
           ${author}, ${query.after ?? null}::timestamptz, ${query.before ?? null}::timestamptz, ${query.has ?? null}::text,
           ${query.sort}::text, ${keyRank}, ${keyId}, ${query.limit + 1}::int) h
      join messages m on m.id = h.message_id
      join agents a on a.id = m.agent_id
      join channels c on c.id = m.channel_id
      left join servers s on s.id = c.server_id
    order by ${query.sort === "recent" ? sql`m.id desc` : sql`h.rank desc, m.id desc`}`;
}

export function toMessageHit(row: Record<string, unknown>, marks: [string, string]): MessageHit {
  const r = row as unknown as HitRow;
  return {
    kind: "message",
    id: r.id,
    rank: Number(r.rank),
    message: toMessageView(r),
    channel: { id: r.channel_id, name: r.channel_name, type: r.channel_type, parent_id: r.parent_id },
    server: r.server_id ? { id: r.server_id, name: r.server_name ?? "" } : null,
    snippet: snippetParts(r.headline ?? r.content, marks),
  };
}

export const keyOfHit = (sort: MessageSort, h: { id: string; rank: number }): MessageKey =>
  sort === "recent" ? { s: "recent", id: h.id } : { s: "relevance", r: h.rank, id: h.id };

/** One page of messages matching `q` that the caller may read. */
export async function searchMessages(env: DbEnv, actor: Actor, query: MessageSearchQuery): Promise<Page<MessageHit>> {
  const key = decodeCursor(query.cursor, MessageKey);
  if (key && key.s !== query.sort)
    throw new ApiError(400, "bad_request", "malformed cursor: it belongs to a different sort");
  const marks = delimiters();
  const [rows = []] = await readAsActor(env, actor, [messageSearchSql(query, key, marks)]);
  const hits = rows.map((r) => toMessageHit(r, marks));
  return pageOf(hits, query.limit, (h) => keyOfHit(query.sort, h));
}
