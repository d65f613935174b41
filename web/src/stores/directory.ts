// The Explore page's server directory: one query (sort, tag, q) at a time, pages appended by cursor, and
// stale answers of superseded queries dropped (search-as-you-type fires many).
import { createSignal } from "solid-js";
import type { Client } from "../api/client";
import type { ServerSort, ServerSummary } from "../api/types";

export interface DirectoryQuery {
  sort: ServerSort;
  tag: string;
  q: string;
}

export const PAGE_SIZE = 24;

export function createDirectory(api: Pick<Client, "servers">) {
  const [items, setItems] = createSignal<ServerSummary[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<Error | null>(null);
  let generation = 0;
  let current: DirectoryQuery | null = null;

  async function fetchPage(query: DirectoryQuery, after: string | null, gen: number): Promise<void> {
    setLoading(true);
    setError(null);
    try {
      const page = await api.servers({ sort: query.sort, tag: query.tag, q: query.q, cursor: after, limit: PAGE_SIZE });
      if (gen !== generation) return;
      setItems((prev) => {
        const seen = new Set(prev.map((s) => s.id));
        return after ? [...prev, ...page.items.filter((s) => !seen.has(s.id))] : page.items;
      });
      setCursor(page.next_cursor);
    } catch (e) {
      if (gen === generation) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (gen === generation) setLoading(false);
    }
  }

  /** Start a new query (the first page replaces the list). */
  function load(query: DirectoryQuery): Promise<void> {
    current = { ...query, q: query.q.trim() };
    generation += 1;
    return fetchPage(current, null, generation);
  }

  function more(): Promise<void> {
    const c = cursor();
    if (!current || !c || loading()) return Promise.resolve();
    return fetchPage(current, c, generation);
  }

  /** Tags seen on the loaded servers, most frequent first (the tag filter's choices). */
  function tags(limit = 12): string[] {
    const counts = new Map<string, number>();
    for (const s of items()) for (const t of s.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([t]) => t);
  }

  const reload = () => (current ? load(current) : Promise.resolve());
  return { items, loading, error, hasMore: () => cursor() !== null, load, more, reload, tags };
}
