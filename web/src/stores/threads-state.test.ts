import { describe, expect, it } from "vitest";
import type { ThreadView } from "../api/content";
import { applyThreadOp, replies, type ThreadsState, threadOfMessage } from "./threads-state";

const t = (id: string, over: Partial<ThreadView> = {}): ThreadView => ({
  id,
  parent_id: "p",
  server_id: "s",
  kind: "post",
  title: id,
  starter_message_id: `m-${id}`,
  created_by: null,
  auto_archive_minutes: 1440,
  archived: false,
  archived_at: null,
  message_count: 1,
  last_message_at: null,
  created_at: "2026-01-01T00:00:00.000Z",
  score: 0,
  ups: 0,
  downs: 0,
  ...over,
});

describe("threads state", () => {
  it("adds created threads once, applies updates, re-sorts by the chosen order", () => {
    const s: ThreadsState = { channel: "p", sort: "top", items: [t("a", { score: 2 }), t("b", { score: 1 })] };
    expect(applyThreadOp(s, { op: "thread_created", channel: "other", thread: t("x") })).toBe(false);
    expect(applyThreadOp(s, { op: "thread_created", channel: "p", thread: t("c", { score: 0 }) })).toBe(true);
    expect(applyThreadOp(s, { op: "thread_created", channel: "p", thread: t("c") })).toBe(false);
    expect(s.items.map((x) => x.id)).toEqual(["a", "b", "c"]);
    applyThreadOp(s, { op: "thread_updated", channel: "p", thread_id: "c", score: 5, ups: 5, downs: 0 });
    expect(s.items.map((x) => x.id)).toEqual(["c", "a", "b"]);
    applyThreadOp(s, { op: "thread_updated", channel: "p", thread_id: "b", message_count: 4, archived: true });
    expect(s.items.find((x) => x.id === "b")).toMatchObject({ message_count: 4, archived: true });
    expect(replies(s.items.find((x) => x.id === "b") as ThreadView)).toBe(3);
  });

  it("finds the thread opened from a message", () => {
    const s: ThreadsState = {
      channel: "p",
      sort: "active",
      items: [t("a", { kind: "thread", starter_message_id: "m1" })],
    };
    expect(threadOfMessage(s, "m1")?.id).toBe("a");
    expect(threadOfMessage(s, "m2")).toBeUndefined();
  });
});
