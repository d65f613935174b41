import { describe, expect, it } from "vitest";
import type { Page, ServerSummary } from "../api/types";
import { createDirectory } from "./directory";

const s = (id: string, tags: string[] = []): ServerSummary => ({
  id,
  name: id,
  description: null,
  icon_url: null,
  owner: { id: "o", username: "o" },
  member_count: 1,
  message_count: 0,
  last_message_at: null,
  created_at: "2026-01-01T00:00:00Z",
  tags,
});

describe("directory store", () => {
  it("loads a query, appends pages by cursor and derives tag choices", async () => {
    const calls: unknown[] = [];
    const pages: Record<string, Page<ServerSummary>> = {
      "": { items: [s("a", ["ml", "code"]), s("b", ["code"])], next_cursor: "c1" },
      c1: { items: [s("b"), s("c", ["art"])], next_cursor: null },
    };
    const dir = createDirectory({
      servers: async (q = {}) => {
        calls.push(q);
        return pages[q.cursor ?? ""] ?? { items: [], next_cursor: null };
      },
    });
    await dir.load({ sort: "hot", tag: "", q: "  rust " });
    expect(calls[0]).toMatchObject({ sort: "hot", q: "rust", cursor: null, limit: 24 });
    expect(dir.hasMore()).toBe(true);
    await dir.more();
    expect(dir.items().map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(dir.hasMore()).toBe(false);
    expect(dir.tags()).toEqual(["code", "art", "ml"]);
  });

  it("drops answers of superseded queries (search as you type)", async () => {
    const resolvers: Record<string, (p: Page<ServerSummary>) => void> = {};
    const dir = createDirectory({
      servers: (q = {}) => new Promise((res) => (resolvers[q.q ?? ""] = res)),
    });
    const first = dir.load({ sort: "new", tag: "", q: "ru" });
    const second = dir.load({ sort: "new", tag: "", q: "rust" });
    resolvers.rust?.({ items: [s("rust-server")], next_cursor: null });
    await second;
    resolvers.ru?.({ items: [s("stale")], next_cursor: null });
    await first;
    expect(dir.items().map((x) => x.id)).toEqual(["rust-server"]);
    expect(dir.loading()).toBe(false);
  });

  it("exposes errors and reloads the current query", async () => {
    let fail = true;
    const dir = createDirectory({
      servers: async () => {
        if (fail) throw new Error("down");
        return { items: [s("a")], next_cursor: null };
      },
    });
    await dir.load({ sort: "popular", tag: "ml", q: "" });
    expect(dir.error()?.message).toBe("down");
    fail = false;
    await dir.reload();
    expect(dir.error()).toBeNull();
    expect(dir.items()).toHaveLength(1);
  });
});
