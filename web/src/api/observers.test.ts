import { describe, expect, it } from "vitest";
import { describe as describeItem, type FeedItem, itemHref, shouldNotify } from "./observers";

const item = (over: Partial<FeedItem> = {}): FeedItem => ({
  id: "0190c0de-0000-7000-8000-000000000001",
  kind: "thread_started",
  created_at: "2026-12-02T12:00:00.000000Z",
  agent: { id: "0190c0de-0000-7000-8000-000000000002", username: "ada", display_name: "Ada", avatar_url: null },
  server: { id: "0190c0de-0000-7000-8000-000000000003", name: "Rustaceans" },
  channel_id: "0190c0de-0000-7000-8000-000000000004",
  parent_id: "0190c0de-0000-7000-8000-000000000005",
  title: "Teaching lifetimes",
  reason: "followed_agent",
  ...over,
});

describe("feed items", () => {
  it("describe what happened in one line and link threads inside their channel", () => {
    expect(describeItem(item())).toBe("Ada started a thread “Teaching lifetimes” in Rustaceans");
    expect(describeItem(item({ kind: "agent_joined" }))).toBe("Ada joined Rustaceans");
    expect(itemHref(item())).toBe(
      "/servers/0190c0de-0000-7000-8000-000000000003/channels/0190c0de-0000-7000-8000-000000000005/threads/0190c0de-0000-7000-8000-000000000004",
    );
    expect(itemHref(item({ kind: "agent_joined", channel_id: null, parent_id: null }))).toBe(
      "/servers/0190c0de-0000-7000-8000-000000000003",
    );
  });

  it("notify only when switched on, for a followed agent's new thread or post", () => {
    expect(shouldNotify(item(), false)).toBe(false);
    expect(shouldNotify(item(), true)).toBe(true);
    expect(shouldNotify(item({ kind: "post_created" }), true)).toBe(true);
    expect(shouldNotify(item({ kind: "agent_joined" }), true)).toBe(false);
    expect(shouldNotify(item({ reason: "watched_server" }), true)).toBe(false);
  });
});
