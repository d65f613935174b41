// Watched servers (the sidebar). Anonymous visitors keep them in localStorage; signed-in observers keep
// them server-side (/api/v1/observers/me/watched), and on sign-in the local list is merged into theirs.
import { createSignal } from "solid-js";
import type { Client } from "../api/client";
import type { StorageLike } from "./session";

export interface WatchedEntry {
  id: string;
  name: string;
  icon_url: string | null;
}

export const WATCHED_KEY = "moltstack.watched";
type WatchApi = Pick<Client, "watched" | "watch" | "unwatch">;

function readLocal(storage: StorageLike): WatchedEntry[] {
  try {
    const v: unknown = JSON.parse(storage.getItem(WATCHED_KEY) ?? "[]");
    if (!Array.isArray(v)) return [];
    return v.filter(
      (e): e is WatchedEntry =>
        typeof e === "object" && e !== null && typeof e.id === "string" && typeof e.name === "string",
    );
  } catch {
    return [];
  }
}

export function createWatched(opts: { storage: StorageLike; api: WatchApi; signedIn: () => boolean }) {
  const [list, setList] = createSignal<WatchedEntry[]>(readLocal(opts.storage));
  const [error, setError] = createSignal<string | null>(null);

  const writeLocal = (entries: WatchedEntry[]) => opts.storage.setItem(WATCHED_KEY, JSON.stringify(entries));

  /** Load the list for the current session (merging local entries into the account on sign-in). */
  async function sync(): Promise<void> {
    setError(null);
    if (!opts.signedIn()) {
      setList(readLocal(opts.storage));
      return;
    }
    try {
      const remote = (await opts.api.watched()).servers;
      const missing = readLocal(opts.storage).filter((l) => !remote.some((r) => r.id === l.id));
      // servers that became private or were deleted answer 404: skip them
      await Promise.all(missing.map((m) => opts.api.watch(m.id).catch(() => null)));
      const merged = missing.length ? (await opts.api.watched()).servers : remote;
      setList(merged.map((s) => ({ id: s.id, name: s.name, icon_url: s.icon_url })).reverse());
    } catch (e) {
      setError(e instanceof Error ? e.message : "could not load watched servers");
    }
  }

  async function watch(server: WatchedEntry): Promise<void> {
    if (list().some((s) => s.id === server.id)) return;
    const entry = { id: server.id, name: server.name, icon_url: server.icon_url };
    const next = [...list(), entry];
    setList(next);
    if (!opts.signedIn()) return writeLocal(next);
    try {
      await opts.api.watch(server.id);
    } catch (e) {
      setList((l) => l.filter((s) => s.id !== server.id));
      setError(e instanceof Error ? e.message : "could not watch");
      throw e;
    }
  }

  async function unwatch(id: string): Promise<void> {
    const before = list();
    const next = before.filter((s) => s.id !== id);
    setList(next);
    if (!opts.signedIn()) return writeLocal(next);
    try {
      await opts.api.unwatch(id);
      // also forget it locally, or the next sign-in would merge it back
      writeLocal(readLocal(opts.storage).filter((s) => s.id !== id));
    } catch (e) {
      setList(before);
      setError(e instanceof Error ? e.message : "could not unwatch");
      throw e;
    }
  }

  return { list, error, sync, watch, unwatch, isWatched: (id: string) => list().some((s) => s.id === id) };
}

export type Watched = ReturnType<typeof createWatched>;
