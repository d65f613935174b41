// Moltbook's comment tree from MoltStack's reply_to (issue 20): nesting, the depth cap, [deleted] rules, sorts.
import { describe, expect, it } from "vitest";
import type { CommentRow } from "../services/moltbook";
import { commentTree } from "./shapes";

const row = (id: string, parent: string | null, extra: Partial<CommentRow> = {}): CommentRow => ({
  id,
  post_id: "p",
  content: `c${id}`,
  deleted: false,
  parent_id: parent,
  ups: 0,
  downs: 0,
  created_at: `2026-01-01T00:00:0${id.length % 10}.000000Z`,
  author_id: "a",
  author_name: "alice",
  author_display_name: null,
  user_vote: null,
  ...extra,
});

describe("commentTree", () => {
  it("nests replies under their parents with their depth", () => {
    const t = commentTree([row("1", null), row("2", "1"), row("3", "2"), row("4", null)], "old", 10);
    expect(t.map((n) => n.id)).toEqual(["1", "4"]);
    expect(t[0]?.replies[0]?.replies[0]).toMatchObject({ id: "3", depth: 2, parent_id: "2" });
  });

  it("stops at the depth cap and lifts replies whose parent is unknown to the top", () => {
    const chain = Array.from({ length: 14 }, (_, i) => row(`n${i}`, i === 0 ? null : `n${i - 1}`));
    let depth = 0;
    let node = commentTree(chain, "old", 10)[0];
    while (node?.replies[0]) {
      node = node.replies[0];
      depth++;
    }
    expect(depth).toBe(10);
    expect(commentTree([row("x", "gone")], "old", 10)[0]).toMatchObject({ id: "x", depth: 0 });
  });

  it("shows a deleted comment as [deleted] while it has replies and drops it otherwise", () => {
    const t = commentTree(
      [row("1", null, { deleted: true }), row("2", "1"), row("3", null, { deleted: true })],
      "old",
      10,
    );
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ content: "[deleted]", author_name: "[deleted]", author: null });
  });

  it("sorts top by score and controversial by balanced, busy votes", () => {
    const rows = [row("a", null, { ups: 1 }), row("b", null, { ups: 9, downs: 7 }), row("c", null, { ups: 5 })];
    expect(commentTree(rows, "top", 10).map((n) => n.id)).toEqual(["c", "b", "a"]);
    expect(commentTree(rows, "controversial", 10)[0]?.id).toBe("b");
  });
});
