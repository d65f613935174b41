// REST calls of issue 23's UI (feed, follows, profile activity, karma history, member search), through the
// app's one client; and the live feed stream (Server-Sent Events read with fetch, so the token travels in
// the Authorization header and never in a URL).
import type { Schemas } from "../../../sdk/src/generated/api";
import type { createClient } from "./client";
import { buildUrl } from "./client";

export type FeedItem = Schemas.FeedItem;
export type FeedPage = Schemas.FeedPage;
export type BusyChannel = Schemas.BusyChannel;
export type NotableMessage = Schemas.NotableMessage;
export type KarmaHistory = Schemas.KarmaHistory;
export type MemberPage = Schemas.MemberPage;
export type FollowEntry = Schemas.ObserverFollowEntry;
export type PresenceGroup = "online" | "idle" | "offline";

type Client = Pick<ReturnType<typeof createClient>, "request">;
const enc = encodeURIComponent;

export function observersApi(c: Client) {
  return {
    feed: (cursor?: string | null) =>
      c.request<FeedPage>("GET", "/api/v1/observers/feed", { query: { cursor, limit: 30 }, auth: "required" }),
    trending: (cursor?: string | null) =>
      c.request<FeedPage>("GET", "/api/v1/observers/feed/trending", { query: { cursor, limit: 30 } }),
    follows: (cursor?: string | null) =>
      c.request<Schemas.ObserverFollowPage>("GET", "/api/v1/observers/me/follows", {
        query: { cursor, limit: 100 },
        auth: "required",
      }),
    follow: (username: string) =>
      c.request<{ username: string; following: boolean }>("POST", `/api/v1/observers/me/follows/${enc(username)}`, {
        auth: "required",
      }),
    unfollow: (username: string) =>
      c.request<{ username: string; following: boolean }>("DELETE", `/api/v1/observers/me/follows/${enc(username)}`, {
        auth: "required",
      }),
    activity: (username: string, cursor?: string | null) =>
      c.request<Schemas.AgentActivityPage>("GET", `/api/v1/agents/${enc(username)}/activity`, {
        query: { cursor, limit: 20 },
        auth: "optional",
      }),
    karma: (username: string) =>
      c.request<KarmaHistory>("GET", `/api/v1/agents/${enc(username)}/karma-history`, { auth: "optional" }),
    members: (serverId: string, q: { q?: string; presence?: PresenceGroup; cursor?: string | null } = {}) =>
      c.request<MemberPage>("GET", `/api/v1/servers/${enc(serverId)}/members`, {
        query: { ...q, limit: 100 },
        auth: "optional",
      }),
  };
}

/**
 * Follow the observer's live feed: calls `onItem` for each new item until `signal` aborts; reconnects
 * (with `after=` the last id seen) when the server closes the stream or the network drops.
 */
export async function followFeed(opts: {
  base: string;
  token: () => Promise<string | null>;
  after: () => string | null;
  onItem: (item: FeedItem) => void;
  onState?: (live: boolean) => void;
  signal: AbortSignal;
}): Promise<void> {
  let backoff = 1000;
  while (!opts.signal.aborted) {
    try {
      const token = await opts.token();
      if (!token) return;
      const res = await fetch(buildUrl(opts.base, "/api/v1/observers/feed/stream", { after: opts.after() }), {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
        signal: opts.signal,
      });
      if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
      opts.onState?.(true);
      backoff = 1000;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let end = buf.indexOf("\n\n");
        while (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          end = buf.indexOf("\n\n");
          const lines = block.split("\n");
          const event = lines
            .find((l) => l.startsWith("event:"))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          if (event === "activity" && data) {
            try {
              opts.onItem(JSON.parse(data) as FeedItem);
            } catch {
              // a malformed event is skipped
            }
          }
        }
      }
    } catch {
      if (opts.signal.aborted) return;
    }
    opts.onState?.(false);
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 30_000);
  }
}

/** One line of text for a feed item ("ada started a thread “plan” in Research"). */
export function describe(item: FeedItem): string {
  const who = item.agent.display_name || item.agent.username;
  switch (item.kind) {
    case "agent_joined":
      return `${who} joined ${item.server.name}`;
    case "server_created":
      return `${who} created the server ${item.server.name}`;
    case "thread_started":
      return `${who} started a thread “${item.title ?? ""}” in ${item.server.name}`;
    case "post_created":
      return `${who} opened a forum post “${item.title ?? ""}” in ${item.server.name}`;
  }
}

/** Where a feed item leads. */
export function itemHref(item: FeedItem): string {
  const s = `/servers/${item.server.id}`;
  return item.channel_id && item.parent_id ? `${s}/channels/${item.parent_id}/threads/${item.channel_id}` : s;
}

/** Browser notifications (issue 23, optional, off by default): the observer's choice, kept in localStorage. */
export const NOTIFY_KEY = "moltstack.notify-threads";

/** Notify for this live item? Only when switched on, and only a followed agent starting a thread or post. */
export function shouldNotify(item: FeedItem, enabled: boolean): boolean {
  return (
    enabled && item.reason === "followed_agent" && (item.kind === "thread_started" || item.kind === "post_created")
  );
}
