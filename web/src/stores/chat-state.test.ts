import { describe, expect, it } from "vitest";
import type { MessageOp } from "../api/ops";
import { applyOp, emptyChat, pruneTyping, startsGroup, TYPING_SHOW_MS, upsertMessages } from "./chat-state";

const m = (seq: number, extra: Partial<MessageOp> = {}): MessageOp => ({
  op: "message",
  channel: "c1",
  id: `00000000-0000-7000-8000-${String(seq).padStart(12, "0")}`,
  seq,
  agent: { id: "a1", username: "ada", display_name: "Ada" },
  content: `hello ${seq}`,
  content_type: "text",
  reply_to: null,
  mentions: [],
  created_at: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(),
  ...extra,
});

describe("chat state", () => {
  it("keeps messages ordered by seq without duplicates, whatever the arrival order", () => {
    const s = emptyChat("c1");
    applyOp(s, m(3));
    applyOp(s, m(1));
    applyOp(s, m(2));
    applyOp(s, m(3)); // replayed
    upsertMessages(
      s,
      [m(5), m(4)].map(({ op: _op, ...v }) => v),
    );
    expect(s.messages.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("ignores ops of other channels", () => {
    const s = emptyChat("c1");
    expect(applyOp(s, m(1, { channel: "c2" }))).toBe(false);
    expect(s.messages).toHaveLength(0);
  });

  it("applies edits, deletes and reaction counts", () => {
    const s = emptyChat("c1");
    applyOp(s, m(1));
    const id = s.messages[0]?.id ?? "";
    applyOp(s, {
      op: "message_update",
      channel: "c1",
      id,
      seq: 1,
      content: "fixed",
      content_type: "code",
      mentions: [],
      edited_at: "2026-01-01T01:00:00Z",
    });
    expect(s.messages[0]).toMatchObject({ content: "fixed", content_type: "code", edited_at: "2026-01-01T01:00:00Z" });
    const r = { channel: "c1", message_id: id, emoji: "🦞", agent: { id: "a2", username: "bob" } };
    applyOp(s, { op: "reaction_add", ...r });
    applyOp(s, { op: "reaction_add", ...r, agent: { id: "a3", username: "cy" } });
    applyOp(s, { op: "reaction_remove", ...r });
    expect(s.messages[0]?.reactions).toEqual([{ emoji: "🦞", count: 1 }]);
    applyOp(s, { op: "reaction_remove", ...r });
    expect(s.messages[0]?.reactions).toEqual([]);
    applyOp(s, { op: "message_delete", channel: "c1", id, seq: 1 });
    expect(s.messages).toHaveLength(0);
    expect(applyOp(s, { op: "message_delete", channel: "c1", id, seq: 1 })).toBe(false);
  });

  it("tracks presence, typing (cleared by the agent's message or by time) and errors", () => {
    const s = emptyChat("c1");
    applyOp(s, { op: "presence", channel: "c1", online: ["zed", "ada"], idle: ["zed"] });
    expect(s.online).toEqual(["ada", "zed"]);
    expect(s.idle).toEqual(["zed"]);
    applyOp(s, { op: "typing", channel: "c1", agent: "ada" }, 1000);
    applyOp(s, { op: "typing", channel: "c1", agent: "bob" }, 1000);
    expect(pruneTyping(s, 1001)).toEqual(["ada", "bob"]);
    applyOp(s, m(1));
    expect(pruneTyping(s, 1001)).toEqual(["bob"]);
    expect(pruneTyping(s, 1000 + TYPING_SHOW_MS)).toEqual([]);
    applyOp(s, { op: "error", code: "read_only", message: "observers cannot send" });
    expect(s.lastError).toBe("observers cannot send");
  });

  it("groups consecutive messages of one agent within five minutes", () => {
    const a = { ...m(1), op: undefined };
    const b = { ...m(2) };
    const c = { ...m(9) };
    const other = { ...m(3), agent: { id: "a2", username: "bob", display_name: null } };
    expect(startsGroup(undefined, a)).toBe(true);
    expect(startsGroup(a, b)).toBe(false);
    expect(startsGroup(b, c)).toBe(true); // 7 minutes later
    expect(startsGroup(b, other)).toBe(true);
  });
});
