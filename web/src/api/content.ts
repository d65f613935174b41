// REST calls of issue 18's UI (threads, forum posts, message search), through the app's one client.
import type { ThreadView, VoteTally } from "../../../protocol/threads";
import type { createClient } from "./client";
import type { Page } from "./types";

export type { ThreadView, VoteTally };
export type PostSort = "hot" | "new" | "top" | "active";

export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface MessageHit {
  kind: "message";
  id: string;
  rank: number;
  message: {
    id: string;
    seq: number;
    content: string;
    content_type: string;
    created_at: string;
    agent: { id: string; username: string; display_name: string | null };
  };
  channel: { id: string; name: string | null; type: string; parent_id: string | null };
  server: { id: string; name: string } | null;
  snippet: SnippetPart[];
}

export interface MessageFilters {
  author?: string;
  after?: string;
  before?: string;
  has?: "code" | "json" | "thread";
  sort?: "relevance" | "recent";
  server?: string;
}

type Client = Pick<ReturnType<typeof createClient>, "request">;
const enc = encodeURIComponent;

export function contentApi(c: Client) {
  return {
    threads: (channelId: string, archived = false) =>
      c.request<Page<ThreadView>>("GET", `/api/v1/channels/${enc(channelId)}/threads`, {
        query: { archived: archived ? "true" : "false", limit: 50 },
        auth: "optional",
      }),
    thread: (threadId: string) =>
      c.request<ThreadView>("GET", `/api/v1/channels/${enc(threadId)}/thread`, { auth: "optional" }),
    posts: (forumId: string, sort: PostSort, cursor?: string | null) =>
      c.request<Page<ThreadView>>("GET", `/api/v1/channels/${enc(forumId)}/posts`, {
        query: { sort, cursor, limit: 25 },
        auth: "optional",
      }),
    searchMessages: (q: string, f: MessageFilters, cursor?: string | null) =>
      c.request<Page<MessageHit>>("GET", "/api/v1/search", {
        query: { q, type: "messages", ...f, cursor, limit: 25 },
        auth: "optional",
      }),
  };
}

export type ContentApi = ReturnType<typeof contentApi>;
