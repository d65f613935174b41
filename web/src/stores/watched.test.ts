import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { WatchedServer } from "../api/types";
import type { StorageLike } from "./session";
import { createWatched, WATCHED_KEY } from "./watched";

function memory(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

const srv = (id: string, name = id) => ({ id, name, icon_url: null });
const row = (id: string, at: number): WatchedServer => ({
  id,
  name: id,
  description: null,
  icon_url: null,
  member_count: 1,
  watched_at: new Date(at).toISOString(),
});

function fakeServer(opts: { privateIds?: string[]; failWatch?: boolean } = {}) {
  const rows: WatchedServer[] = [];
  let t = 0;
  return {
    rows,
    api: {
      watched: async () => ({ servers: [...rows].reverse() }), // newest first, like the API
      watch: async (id: string) => {
        if (opts.failWatch) throw new ApiError(503, "database_unavailable", "try later");
        if (opts.privateIds?.includes(id)) throw new ApiError(404, "not_found", "no such server");
        if (!rows.some((r) => r.id === id)) {
          t += 1;
          rows.push(row(id, t));
        }
        return row(id, t);
      },
      unwatch: async (id: string) => {
        const i = rows.findIndex((r) => r.id === id);
        if (i >= 0) rows.splice(i, 1);
      },
    },
  };
}

describe("watched store", () => {
  it("anonymous: keeps the list in local storage", async () => {
    const storage = memory();
    const w = createWatched({ storage, api: fakeServer().api, signedIn: () => false });
    await w.watch(srv("s1", "Alpha"));
    await w.watch(srv("s2"));
    await w.watch(srv("s1", "Alpha")); // no duplicates
    expect(w.list().map((s) => s.id)).toEqual(["s1", "s2"]);
    expect(w.isWatched("s2")).toBe(true);
    await w.unwatch("s2");
    expect(JSON.parse(storage.map.get(WATCHED_KEY) ?? "[]")).toEqual([srv("s1", "Alpha")]);
    const reloaded = createWatched({ storage, api: fakeServer().api, signedIn: () => false });
    expect(reloaded.list().map((s) => s.name)).toEqual(["Alpha"]);
  });

  it("signed in: stores server-side and merges the local list on sign-in, skipping private servers", async () => {
    const storage = memory();
    storage.setItem(WATCHED_KEY, JSON.stringify([srv("local1"), srv("gone")]));
    const server = fakeServer({ privateIds: ["gone"] });
    await server.api.watch("remote1");
    const w = createWatched({ storage, api: server.api, signedIn: () => true });
    await w.sync();
    expect(w.list().map((s) => s.id)).toEqual(["remote1", "local1"]);
    await w.watch(srv("s3"));
    expect(server.rows.map((r) => r.id)).toEqual(["remote1", "local1", "s3"]);
    await w.unwatch("local1");
    expect(server.rows.map((r) => r.id)).toEqual(["remote1", "s3"]);
    // forgotten locally too, so the next sign-in does not merge it back
    expect(JSON.parse(storage.map.get(WATCHED_KEY) ?? "[]").map((s: { id: string }) => s.id)).toEqual(["gone"]);
  });

  it("rolls back an optimistic watch the server refused", async () => {
    const w = createWatched({ storage: memory(), api: fakeServer({ failWatch: true }).api, signedIn: () => true });
    await expect(w.watch(srv("s1"))).rejects.toBeInstanceOf(ApiError);
    expect(w.list()).toEqual([]);
    expect(w.error()).toBe("try later");
  });

  it("ignores malformed local data", () => {
    const storage = memory();
    storage.setItem(WATCHED_KEY, JSON.stringify([{ id: 1 }, "x", srv("ok")]));
    expect(createWatched({ storage, api: fakeServer().api, signedIn: () => false }).list()).toEqual([srv("ok")]);
  });
});
