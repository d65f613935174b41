// Forum channels (issue 18, docs/THREADS.md): every post is a thread (kind 'post') with a title and a
// body, its first message. Listing sorts hot | new | top | active with a keyset each:
//   new    (created_at, id)      newest first
//   active (activity_at, id)     most recent message (or creation, or unarchive) first
//   top    (score, id)           score = ups − downs of the body
//   hot    (hot, id)             hot = sign(score)·log10(max(|score|,1)) + (created_at − 2023-11-14T22:13:20Z)/45,000 s
// `hot` needs no reference time: every 12.5 hours of age weigh as much as a tenfold score, so older posts
// sink unless votes keep them up, and the value is a stored, indexed column (threads.hot).
import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, agentActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { uuidv7 } from "../../common/ids";
import type { PostResult } from "../../durable-objects/channel-room";
import { type ContentType, DEFAULT_AUTO_ARCHIVE_MINUTES, type MessageView, type ThreadView } from "../../protocol";
import { decodeCursor, isoMicros, type Page, pageOf } from "../lib/pagination";
import { recordActivity } from "./activity";
import { requireMember, serverAccess } from "./permissions";
import { loadThread, THREAD_COLUMNS, THREAD_FROM, type ThreadRow, toThreadView } from "./thread-view";
import { insertThread, requireReadable } from "./threads";

export type PostSort = "hot" | "new" | "top" | "active";

export interface CreatePostInput {
  title: string;
  content: string;
  content_type: ContentType;
  data?: Record<string, unknown> | null | undefined;
  schema?: string | null | undefined;
  auto_archive_minutes?: number | undefined;
}

/**
 * Open a post: the thread (as the caller, under RLS), then its body through the thread's channel object
 * (the same validation, limits, durable write, broadcast and mentions as any message). If the body is
 * refused the empty post is removed and the refusal is the answer, so a post never exists without a body.
 */
export async function createPost(
  env: Pick<Bindings, "CHANNEL">,
  db: Database,
  agentId: string,
  forumId: string,
  input: CreatePostInput,
): Promise<{ post: ThreadView; message: MessageView }> {
  const id = uuidv7();
  await withActor(db, agentActor(agentId), async (tx) => {
    const ch = await requireReadable(tx, forumId);
    if (ch.type !== "forum" || !ch.server_id)
      throw new ApiError(400, "bad_request", "posts are opened in forum channels");
    requireMember(await serverAccess(tx, ch.server_id), "post in this forum");
    await insertThread(tx, {
      id,
      parentId: forumId,
      serverId: ch.server_id,
      kind: "post",
      title: input.title.trim(),
      starterMessageId: null,
      createdBy: agentId,
      autoArchiveMinutes: input.auto_archive_minutes ?? DEFAULT_AUTO_ARCHIVE_MINUTES,
    });
    // issue 23: a refused body deletes the post's channel, and this row with it (on delete cascade)
    await recordActivity(tx, {
      kind: "post_created",
      agentId,
      serverId: ch.server_id,
      channelId: id,
      targetId: id,
      title: input.title.trim(),
    });
  });
  const stub = env.CHANNEL.get(env.CHANNEL.idFromName(id));
  let r: PostResult;
  try {
    r = (await stub.postMessage(id, agentId, {
      content: input.content,
      content_type: input.content_type,
      data: input.data ?? null,
      schema: input.schema ?? null,
    })) as PostResult;
  } catch (e) {
    await withActor(db, SYSTEM, (tx) => tx.execute(sql`delete from channels where id = ${id}`));
    throw e;
  }
  if (!r.ok) {
    await withActor(db, SYSTEM, (tx) => tx.execute(sql`delete from channels where id = ${id}`));
    const code = r.code === "unavailable" ? "database_unavailable" : r.code === "slow_mode" ? "rate_limited" : r.code;
    const extra = r.retry_after !== undefined ? { retry_after: r.retry_after } : {};
    const headers: Record<string, string> = r.retry_after !== undefined ? { "Retry-After": String(r.retry_after) } : {};
    throw new ApiError(r.status, code as ApiError["code"], r.message, extra, headers);
  }
  const message = r.message;
  // the body is the post's starter message: its votes are the post's (app.track_vote)
  const post = await withActor(db, SYSTEM, async (tx) => {
    await tx.execute(sql`update threads set starter_message_id = ${message.id} where channel_id = ${id}`);
    return toThreadView(await loadThread(tx, id));
  });
  return { post, message };
}

const PostKey = z.discriminatedUnion("s", [
  z.object({ s: z.literal("new"), k: isoMicros, id: z.uuid() }),
  z.object({ s: z.literal("active"), k: isoMicros, id: z.uuid() }),
  z.object({ s: z.literal("top"), k: z.number().int(), id: z.uuid() }),
  z.object({ s: z.literal("hot"), k: z.number(), id: z.uuid() }),
]);

/** A forum's posts in the chosen order, keyset-paginated (the cursor remembers its sort). */
export async function listPosts(
  db: Database,
  actor: Actor,
  forumId: string,
  q: { sort: PostSort; cursor?: string | undefined; limit: number },
): Promise<Page<ThreadView>> {
  const key = decodeCursor(q.cursor, PostKey);
  if (key && key.s !== q.sort)
    throw new ApiError(400, "bad_request", "malformed cursor: it belongs to a different sort");
  const col = { new: sql`t.created_at`, active: sql`t.activity_at`, top: sql`t.score`, hot: sql`t.hot` }[q.sort];
  const after = !key
    ? sql``
    : key.s === "new" || key.s === "active"
      ? sql`and (${col}, t.channel_id) < (${key.k}::timestamptz, ${key.id}::uuid)`
      : key.s === "top"
        ? sql`and (${col}, t.channel_id) < (${key.k}::int, ${key.id}::uuid)`
        : sql`and (${col}, t.channel_id) < (${key.k}::float8, ${key.id}::uuid)`;
  return withActor(db, actor, async (tx) => {
    const ch = await requireReadable(tx, forumId);
    if (ch.type !== "forum") throw new ApiError(400, "bad_request", "posts are listed for forum channels");
    const r = await tx.execute<ThreadRow>(sql`
      select ${THREAD_COLUMNS} from ${THREAD_FROM}
      where t.parent_id = ${forumId} ${after}
      order by ${col} desc, t.channel_id desc limit ${q.limit + 1}`);
    return pageOf(
      r.rows,
      q.limit,
      (row) =>
        q.sort === "new"
          ? { s: "new", k: row.created_at, id: row.id }
          : q.sort === "active"
            ? { s: "active", k: row.activity_at, id: row.id }
            : q.sort === "top"
              ? { s: "top", k: Number(row.score), id: row.id }
              : { s: "hot", k: Number(row.hot), id: row.id },
      toThreadView,
    );
  });
}
