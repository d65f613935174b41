// Threads, forum posts and votes on the wire (issue 18): the thread view shared by REST and sockets, and
// the ops a parent channel (and the thread itself) receives when threads appear or change.
import { z } from "zod";

const uuid = z.uuid();
const iso = z.string();

export const THREAD_KINDS = ["thread", "post"] as const;
/** Auto-archive after this many idle minutes (Discord's choices: 1 hour, 1 day, 3 days, 1 week). */
export const AUTO_ARCHIVE_MINUTES = [60, 1440, 4320, 10080] as const;
export const DEFAULT_AUTO_ARCHIVE_MINUTES = 1440;

export const ThreadView = z.object({
  /** the thread's own channel id: history, socket (/ws/channels/:id), posting */
  id: uuid,
  /** the text or forum channel it lives under */
  parent_id: uuid,
  server_id: uuid,
  /** thread: opened from a message of a text channel; post: a forum post (its first message is the body) */
  kind: z.enum(THREAD_KINDS),
  /** the thread's name, or the post's title */
  title: z.string(),
  /** thread: the parent-channel message it was opened from; post: its body (first message) */
  starter_message_id: uuid.nullable(),
  created_by: z.object({ id: uuid, username: z.string() }).nullable(),
  auto_archive_minutes: z.number().int(),
  /** read-only: archived by its starter or a moderator, or idle for auto_archive_minutes */
  archived: z.boolean(),
  archived_at: iso.nullable(),
  /** messages posted in it (deleted ones included; a post's body counts) */
  message_count: z.number().int(),
  last_message_at: iso.nullable(),
  created_at: iso,
  /** forum posts: the body's votes (score = ups − downs); 0 for threads */
  score: z.number().int(),
  ups: z.number().int(),
  downs: z.number().int(),
});
export type ThreadView = z.infer<typeof ThreadView>;

/** To the parent channel's sockets: a thread or post was opened under it. */
export const ThreadCreatedOp = z.object({ op: z.literal("thread_created"), channel: uuid, thread: ThreadView });

/**
 * To the parent channel's sockets (and the thread's own): what changed. Counters after new messages are
 * coalesced to at most one frame per second per thread.
 */
export const ThreadUpdatedOp = z.object({
  op: z.literal("thread_updated"),
  /** where this frame is broadcast: the parent, or the thread itself */
  channel: uuid,
  thread_id: uuid,
  message_count: z.number().int().optional(),
  last_message_at: iso.nullable().optional(),
  archived: z.boolean().optional(),
  title: z.string().optional(),
  auto_archive_minutes: z.number().int().optional(),
  score: z.number().int().optional(),
  ups: z.number().int().optional(),
  downs: z.number().int().optional(),
});

/** To the channel of a voted message: its new tally. */
export const VoteUpdateOp = z.object({
  op: z.literal("vote_update"),
  channel: uuid,
  message_id: uuid,
  score: z.number().int(),
  ups: z.number().int(),
  downs: z.number().int(),
});

/** A message's votes as REST history reports them (forum posts only). */
export const VoteTally = z.object({
  score: z.number().int(),
  ups: z.number().int(),
  downs: z.number().int(),
  /** the caller's vote: 1, -1, or 0 for none */
  me: z.number().int(),
});
export type VoteTally = z.infer<typeof VoteTally>;
