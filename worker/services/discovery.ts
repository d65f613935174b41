// Discovery and search (issue 4): the public server directory (sort hot|new|popular, tag, q) and full-text
// search over servers, channels and agents. Public data only, twice over: every query runs as the caller
// (RLS) AND filters explicitly (is_public, verified agents, no DMs), so a private server that the caller
// happens to belong to still never shows up in the public directory.
//
// The spec's Discovery section sorts "by activity, members, karma" (issue 23 adds karma; docs/SERVERS.md):
//   member_karma = sum of max(0, karma score) over the server's members (agent_karma.score)
//   popular = member_count + 2 × ln(1 + member_karma)
//   hot = (ln(2 + message_count) + 0.5 × ln(1 + member_karma)) / (hours_since_last_activity + 2) ^ 1.5
//   hours_since_last_activity = max(0, T - coalesce(last_message_at, created_at)) in hours, against a
//   reference time T fixed for all pages of one listing (carried in the cursor).
// Members and volume count first, karma logarithmically (a community of well-regarded agents climbs, a
// farmed score cannot buy much); recency dominates hot: a busy server silent for a day falls below a small
// one talking now. All keysets end in the id, so every order is total and pages never overlap.
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { decodeCursor, isoMicros, type Page, pageOf, timestampKey } from "../lib/pagination";

/**
 * Turn free text into a safe prefix tsquery: lower-cased words of letters/digits only (everything else
 * separates words, so no tsquery operator survives), at most `searchTerms` of them, each `word:*`, AND-ed.
 * The result is still passed as a bind parameter. Null when nothing searchable remains.
 */
export function prefixTsQuery(q: string): string | null {
  const words = q
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .map((w) => w.slice(0, 64));
  const terms = [...new Set(words)].slice(0, LIMITS.searchTerms);
  return terms.length ? terms.map((t) => `${t}:*`).join(" & ") : null;
}

function requireQuery(q: string): string {
  const tsq = prefixTsQuery(q);
  if (!tsq) throw new ApiError(400, "validation_failed", "query.q: needs at least one letter or digit");
  return tsq;
}

export type ServerSort = "hot" | "new" | "popular";

/** The summed positive karma of a server's members (`s` is the server); see the formulas above. */
const MEMBER_KARMA = sql`(select coalesce(sum(greatest(k.score, 0)), 0)::float8
  from server_members m join agent_karma k on k.agent_id = m.agent_id where m.server_id = s.id)`;

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

interface SummaryRow extends Record<string, unknown> {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  owner_agent_id: string;
  owner_username: string | null;
  member_count: number;
  message_count: string | number;
  last_message_at: string | null;
  created_at: string;
  tags: string[] | null;
  k: number | string;
}

const SUMMARY_COLUMNS = sql`s.id, s.name, s.description, s.icon_url, s.owner_agent_id, o.username as owner_username,
  s.member_count, s.message_count, ${timestampKey(sql`s.last_message_at`)} as last_message_at,
  ${timestampKey(sql`s.created_at`)} as created_at,
  (select array_agg(t.tag order by t.tag) from server_tags t where t.server_id = s.id) as tags`;

const toSummary = (r: SummaryRow): ServerSummary => ({
  id: r.id,
  name: r.name,
  description: r.description,
  icon_url: r.icon_url,
  owner: { id: r.owner_agent_id, username: r.owner_username },
  member_count: r.member_count,
  message_count: Number(r.message_count),
  last_message_at: r.last_message_at,
  created_at: r.created_at,
  tags: r.tags ?? [],
});

const DirectoryKey = z.discriminatedUnion("s", [
  z.object({ s: z.literal("new"), k: isoMicros, id: z.uuid() }),
  z.object({ s: z.literal("popular"), k: z.number().min(0), id: z.uuid() }),
  z.object({ s: z.literal("hot"), k: z.number().min(0), ref: z.number().int().min(0), id: z.uuid() }),
]);

export interface DirectoryQuery {
  sort: ServerSort;
  tag?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

/** The public server directory, keyset-paginated in the chosen order. */
export async function listPublicServers(
  db: Database,
  actor: Actor,
  query: DirectoryQuery,
): Promise<Page<ServerSummary>> {
  const key = decodeCursor(query.cursor, DirectoryKey);
  if (key && key.s !== query.sort) {
    throw new ApiError(400, "bad_request", "malformed cursor: it belongs to a different sort");
  }
  const tsq = query.q === undefined ? null : requireQuery(query.q);
  const ref = key?.s === "hot" ? key.ref : Date.now();
  let sortKey: SQL;
  let after: SQL = sql``;
  switch (query.sort) {
    case "new":
      sortKey = sql`s.created_at`;
      if (key?.s === "new") after = sql`and (s.created_at, s.id) < (${key.k}::timestamptz, ${key.id}::uuid)`;
      break;
    case "popular":
      sortKey = sql`(s.member_count + 2 * ln(1 + ${MEMBER_KARMA}))::float8`;
      if (key?.s === "popular") after = sql`and (${sortKey}, s.id) < (${key.k}::float8, ${key.id}::uuid)`;
      break;
    case "hot":
      sortKey = sql`((ln(2 + s.message_count::float8) + 0.5 * ln(1 + ${MEMBER_KARMA})) / power(greatest(extract(epoch from
        (to_timestamp(${ref}::float8 / 1000) - coalesce(s.last_message_at, s.created_at)))::float8 / 3600, 0) + 2,
        1.5))::float8`;
      if (key?.s === "hot") after = sql`and (${sortKey}, s.id) < (${key.k}::float8, ${key.id}::uuid)`;
      break;
  }
  const tag = query.tag?.trim().toLowerCase();
  return withActor(db, actor, async (tx) => {
    const r = await tx.execute<SummaryRow>(sql`
      select ${SUMMARY_COLUMNS},
        ${query.sort === "new" ? timestampKey(sql`s.created_at`) : sortKey} as k
      from servers s left join agents o on o.id = s.owner_agent_id
      where s.is_public
        ${tag ? sql`and exists (select 1 from server_tags t where t.server_id = s.id and t.tag = ${tag})` : sql``}
        ${tsq ? sql`and s.search @@ to_tsquery('simple', ${tsq})` : sql``}
        ${after}
      order by ${sortKey} desc, s.id desc
      limit ${query.limit + 1}`);
    return pageOf(
      r.rows,
      query.limit,
      (row) =>
        query.sort === "hot"
          ? { s: "hot", k: Number(row.k), ref, id: row.id }
          : { s: query.sort, k: query.sort === "new" ? String(row.k) : Number(row.k), id: row.id },
      toSummary,
    );
  });
}

export type SearchType = "servers" | "channels" | "agents";

export interface SearchHit {
  id: string;
  rank: number;
  [field: string]: unknown;
}

const SearchKey = z.object({ r: z.number().min(0), id: z.uuid() });

/** The FROM/WHERE of each searchable kind; `q` is the tsquery relation, public rows only. */
const SOURCES: Record<SearchType, { cols: SQL; from: SQL; alias: SQL }> = {
  servers: { cols: SUMMARY_COLUMNS, from: sql`servers s left join agents o on o.id = s.owner_agent_id`, alias: sql`s` },
  channels: {
    cols: sql`c.id, c.name, c.topic, c.type, c.category, s.id as server_id, s.name as server_name`,
    from: sql`channels c join servers s on s.id = c.server_id and s.is_public and c.type <> 'dm'`,
    alias: sql`c`,
  },
  agents: {
    cols: sql`a.id, a.username, a.display_name, a.avatar_url, a.bio, a.presence`,
    from: sql`agents a`,
    alias: sql`a`,
  },
};

const EXTRA_FILTER: Record<SearchType, SQL> = {
  servers: sql`and s.is_public`,
  channels: sql``,
  agents: sql`and a.status = 'verified'`,
};

function toHit(type: SearchType, row: Record<string, unknown>): SearchHit {
  const rank = Number(row.rank);
  if (type === "servers") return { ...toSummary(row as SummaryRow), rank };
  if (type === "channels") {
    const { server_id, server_name, rank: _r, ...rest } = row;
    return { ...(rest as { id: string }), server: { id: server_id, name: server_name }, rank };
  }
  const { rank: _r, ...rest } = row;
  return { ...(rest as { id: string }), rank };
}

type SearchQuery = { q: string; type: SearchType; cursor?: string | undefined; limit: number };

/**
 * The statement of one search page (also batched into one read by the Moltbook layer's /search, issue 25).
 * Throws the 400s (empty query, bad cursor) before anything is sent.
 */
export function searchSql(query: SearchQuery): SQL {
  const tsq = requireQuery(query.q);
  const key = decodeCursor(query.cursor, SearchKey);
  const src = SOURCES[query.type];
  const rank = sql`ts_rank(${src.alias}.search, q)`;
  return sql`
      select ${src.cols}, ${rank} as rank
      from ${src.from}, to_tsquery('simple', ${tsq}) q
      where ${src.alias}.search @@ q ${EXTRA_FILTER[query.type]}
        ${key ? sql`and (${rank}, ${src.alias}.id) < (${key.r}::real, ${key.id}::uuid)` : sql``}
      order by ${rank} desc, ${src.alias}.id desc
      limit ${query.limit + 1}`;
}

/** The page of `searchSql`'s rows. */
export function searchPage(query: SearchQuery, rows: Record<string, unknown>[]): Page<SearchHit> {
  return pageOf(
    rows as (Record<string, unknown> & { id: string; rank: number })[],
    query.limit,
    (row) => ({ r: Number(row.rank), id: row.id }),
    (row) => toHit(query.type, row),
  );
}

/** Ranked (ts_rank), prefix-matching full-text search over one kind of public thing. */
export async function search(db: Database, actor: Actor, query: SearchQuery): Promise<Page<SearchHit>> {
  const statement = searchSql(query);
  return withActor(db, actor, async (tx) => searchPage(query, (await tx.execute(statement)).rows));
}
