// type=all search (issue 18): servers, channels, agents and messages in one ranked list. Each kind keeps
// its own keyset (discovery: (rank, id); messages: (rank, id)); a page is an exact k-way merge by rank of
// the next `limit` of every kind, and the cursor holds, per kind, the position of the last item of that
// kind the page *returned* (not fetched), so the next page continues every kind where it left off and
// nothing is skipped or repeated. Ranks are ts_rank of different vectors ('simple' names and profiles,
// 'english' messages): comparable enough to interleave, not a calibrated relevance.

import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import type { Database, DbEnv } from "../../common/db/client";
import { decodeCursor, encodeCursor, type Page } from "../lib/pagination";
import { type SearchHit, type SearchType, search as searchDirectory } from "./discovery";
import { type MessageHit, searchMessages } from "./message-search";

export const ALL_KINDS = ["servers", "channels", "agents", "messages"] as const;
type Kind = (typeof ALL_KINDS)[number];
const KIND_OF: Record<Kind, string> = { servers: "server", channels: "channel", agents: "agent", messages: "message" };

/**
 * Per kind: "" = from the start, "-" = exhausted, else "<rank>|<id>" of the last item returned (compact:
 * four nested cursors would not fit the 512-character cursor limit).
 */
const Position = z.string().regex(/^$|^-$|^-?\d+(\.\d+)?(e-?\d+)?\|[0-9a-f-]{36}$/i);
const AllKey = z.object({ servers: Position, channels: Position, agents: Position, messages: Position });

/** A kind's own cursor for the position "<rank>|<id>". */
function subCursor(kind: Kind, at: string): string | undefined {
  if (at === "") return undefined;
  const [r = "0", id = ""] = at.split("|");
  return encodeCursor(kind === "messages" ? { s: "relevance", r: Number(r), id } : { r: Number(r), id });
}

export type AllHit = (SearchHit | MessageHit) & { kind: string };

export async function searchAll(
  env: DbEnv,
  db: Database,
  actor: Actor,
  query: { q: string; cursor?: string | undefined; limit: number },
): Promise<Page<AllHit>> {
  const state = decodeCursor(query.cursor, AllKey) ?? { servers: "", channels: "", agents: "", messages: "" };
  const pages = await Promise.all(
    ALL_KINDS.map(async (kind): Promise<{ items: (SearchHit | MessageHit)[]; next: string | null }> => {
      const at = state[kind];
      if (at === "-") return { items: [], next: null };
      const cursor = subCursor(kind, at);
      const page =
        kind === "messages"
          ? await searchMessages(env, actor, { q: query.q, sort: "relevance", cursor, limit: query.limit })
          : await searchDirectory(db, actor, { q: query.q, type: kind as SearchType, cursor, limit: query.limit });
      return { items: page.items, next: page.next_cursor };
    }),
  );
  const merged = ALL_KINDS.flatMap((kind, k) => (pages[k]?.items ?? []).map((item, i) => ({ kind, k, i, item }))).sort(
    (a, b) => b.item.rank - a.item.rank || a.k - b.k || a.i - b.i,
  );
  const taken = merged.slice(0, query.limit);
  const next = { ...state };
  ALL_KINDS.forEach((kind, k) => {
    const page = pages[k];
    if (!page || state[kind] === "-") return;
    const mine = taken.filter((t) => t.k === k);
    const last = mine.at(-1);
    const all = mine.length === page.items.length;
    if (all && page.next === null) next[kind] = "-";
    else if (last) next[kind] = `${last.item.rank}|${last.item.id}`;
  });
  const done = ALL_KINDS.every((kind) => next[kind] === "-");
  return {
    items: taken.map((t) => ({ ...t.item, kind: KIND_OF[t.kind] })),
    next_cursor: done ? null : encodeCursor(next),
  };
}
