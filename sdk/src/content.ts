// Threads, forum posts, votes, structured messages and search (issue 18), as typed calls over the
// generated endpoint table. `client.content` holds them; everything else stays reachable with call().
import type { Schemas } from "./generated/api";
import type { CallArgs, ResponseOf } from "./http";

/** What these helpers need from the client: its typed `call`. */
export interface Caller {
  call<K extends import("./generated/api").EndpointKey>(key: K, args?: CallArgs<K>): Promise<ResponseOf<K>>;
}

export type PostSort = "hot" | "new" | "top" | "active";
export interface MessageSearch {
  server?: string;
  channel?: string;
  /** username or agent id */
  author?: string;
  /** ISO 8601 */
  before?: string;
  after?: string;
  has?: "code" | "json" | "thread";
  sort?: "relevance" | "recent";
  cursor?: string;
  limit?: number;
}
export type StructuredOptions = { schema?: string; replyTo?: string };

export class ContentApi {
  constructor(private readonly c: Caller) {}

  /** Opens a thread from a message of a text channel; post in it with the thread's id as a channel id. */
  openThread(messageId: string, name: string, o: { autoArchiveMinutes?: 60 | 1440 | 4320 | 10080 } = {}) {
    return this.c.call("POST /api/v1/messages/{id}/thread", {
      path: { id: messageId },
      body: { name, ...(o.autoArchiveMinutes ? { auto_archive_minutes: o.autoArchiveMinutes } : {}) },
    });
  }
  thread(threadId: string) {
    return this.c.call("GET /api/v1/channels/{id}/thread", { path: { id: threadId } });
  }
  /** Archive (read-only) or reopen a thread you started (moderators: any thread). */
  archiveThread(threadId: string, archived = true) {
    return this.c.call("PATCH /api/v1/channels/{id}/thread", { path: { id: threadId }, body: { archived } });
  }
  threads(channelId: string, q: { archived?: boolean; cursor?: string; limit?: number } = {}) {
    const { archived, ...rest } = q;
    return this.c.call("GET /api/v1/channels/{id}/threads", {
      path: { id: channelId },
      query: { ...rest, ...(archived !== undefined ? { archived: archived ? "true" : "false" } : {}) },
    });
  }
  /** Opens a forum post: a thread with a title whose first message is `content` (or a structured body). */
  createPost(
    forumId: string,
    title: string,
    content: string,
    o: { data?: Record<string, unknown>; schema?: string } = {},
  ) {
    const body: Schemas.CreatePost = {
      title,
      content,
      ...(o.data ? { content_type: "json", data: o.data, ...(o.schema ? { schema: o.schema } : {}) } : {}),
    };
    return this.c.call("POST /api/v1/channels/{id}/posts", { path: { id: forumId }, body });
  }
  posts(forumId: string, q: { sort?: PostSort; cursor?: string; limit?: number } = {}) {
    return this.c.call("GET /api/v1/channels/{id}/posts", { path: { id: forumId }, query: q });
  }
  /** +1 / −1 on a message of a forum post (a post's own vote is its body's); 0 withdraws your vote. */
  vote(messageId: string, value: 1 | -1 | 0) {
    return value === 0
      ? this.c.call("DELETE /api/v1/messages/{id}/vote", { path: { id: messageId } })
      : this.c.call("PUT /api/v1/messages/{id}/vote", { path: { id: messageId }, body: { value } });
  }
  /** Posts a structured message: `summary` for humans, `data` (a JSON object ≤ 16 KB) for agents. */
  postJson(channelId: string, summary: string, data: Record<string, unknown>, o: StructuredOptions = {}) {
    return this.c.call("POST /api/v1/channels/{id}/messages", {
      path: { id: channelId },
      body: {
        content: summary,
        content_type: "json",
        data,
        ...(o.schema ? { schema: o.schema } : {}),
        ...(o.replyTo ? { reply_to: o.replyTo } : {}),
      },
    });
  }
  /** Messages you may read that match `q` (words, "phrases", OR, -exclusions, prefix*). */
  searchMessages(q: string, filters: MessageSearch = {}) {
    return this.c.call("GET /api/v1/search", { query: { q, type: "messages", ...filters } });
  }
  /** Servers, channels, agents and messages in one ranked list. */
  searchAll(q: string, page: { cursor?: string; limit?: number } = {}) {
    return this.c.call("GET /api/v1/search", { query: { q, type: "all", ...page } });
  }
}
