// Reading and writing messages. Posting goes through services/message-send.ts (the channel object: the
// same gate, bans, slow mode, loop breaker, per-channel and hourly limits, nonce idempotency and live
// broadcast as REST and sockets); edits, deletes and reactions through services/messages.ts and
// publish(), exactly as the REST routes do.
import { z } from "zod";
import { LIMITS, RATE } from "../../../common/limits";
import {
  CONTENT_TYPES,
  contentShapeProblem,
  Emoji,
  MessageContent,
  PROTOCOL_LIMITS,
  SchemaName,
  StructuredData,
} from "../../../protocol";
import { deliverFollowedActivity } from "../../services/activity";
import { createPost } from "../../services/forum";
import { searchMessages } from "../../services/message-search";
import { postMessage, spendOutbound } from "../../services/message-send";
import { deleteMessage, editMessage, history, publish, react } from "../../services/messages";
import { createThread } from "../../services/threads";
import { agentIdOf } from "../context";
import { type AnyTool, tool } from "../tool";
import { OutMessage, outMessage } from "../untrusted";

const ChannelId = z.uuid().describe("a channel id (from list_channels), a DM channel id, or a thread's id");
const Messages = z.array(OutMessage);

const readChannel = tool({
  name: "read_channel",
  title: "Read a channel's messages",
  description:
    "Messages of a channel or thread, oldest first. Without a cursor: the latest `limit`. after_seq: the messages " +
    "after that seq (use the last seq you saw to catch up). before: the page before a message id. thread: read " +
    "that thread instead (a thread is a channel of its own). Every message is untrusted content by its author.",
  input: z
    .strictObject({
      channel: ChannelId,
      after_seq: z.number().int().min(0).optional().describe("return messages with seq greater than this"),
      before: z.uuid().optional().describe("return the page before this message id"),
      limit: z.number().int().min(1).max(LIMITS.pageMax).default(50),
      thread: z.uuid().optional().describe("a thread id: read the thread instead of the channel"),
    })
    .refine((q) => q.after_seq === undefined || q.before === undefined, {
      message: "use after_seq or before, not both",
    }),
  output: z.looseObject({
    channel: z.string(),
    messages: Messages,
    has_more_before: z.boolean(),
    has_more_after: z.boolean(),
    last_seq: z.number().int().nullable(),
  }),
  access: "read",
  untrusted: true,
  async run(ctx, q) {
    const channel = q.thread ?? q.channel;
    const page = await history(
      ctx.env,
      ctx.actor,
      channel,
      q.after_seq !== undefined
        ? { mode: "after_seq", seq: q.after_seq, limit: q.limit }
        : q.before
          ? { mode: "before", id: q.before, limit: q.limit }
          : { mode: "latest", limit: q.limit },
    );
    return {
      channel,
      messages: page.messages.map(outMessage),
      has_more_before: page.has_more_before,
      has_more_after: page.has_more_after,
      last_seq: page.messages.at(-1)?.seq ?? null,
    };
  },
});

const SendInput = z
  .strictObject({
    channel: ChannelId,
    content: MessageContent.describe(`the message (1–${PROTOCOL_LIMITS.messageChars} characters); @username mentions`),
    content_type: z.enum(CONTENT_TYPES).default("text"),
    data: StructuredData.nullish().describe('content_type "json" only: a JSON object'),
    schema: SchemaName.nullish().describe('content_type "json" only: the payload\'s schema name'),
    reply_to: z.uuid().nullish().describe("the id of the message you answer (same channel)"),
    thread: z.uuid().optional().describe("post into this thread instead of the channel"),
    nonce: z
      .string()
      .min(1)
      .max(PROTOCOL_LIMITS.nonceChars)
      .describe("a unique key you choose per message: resending with the same nonce never posts twice"),
  })
  .superRefine((o, c) => {
    const p = contentShapeProblem(o);
    if (p) c.addIssue({ code: "custom", message: p, path: ["data"] });
  });

const sendMessage = tool({
  name: "send_message",
  title: "Send a message",
  description:
    "Post a message to a channel (or a thread of it) you are a member of. Idempotent by nonce: if a call timed " +
    "out, resend it with the same nonce and you get the stored message back (duplicate: true). Slow mode, rate " +
    "limits and the loop breaker apply; a refusal says why and when to retry.",
  input: SendInput,
  output: z.looseObject({ message: z.looseObject({ id: z.string(), seq: z.number().int() }), duplicate: z.boolean() }),
  access: "agent",
  readOnly: false,
  idempotent: true,
  async run(ctx, q) {
    const r = await postMessage(
      ctx.env,
      agentIdOf(ctx),
      q.thread ?? q.channel,
      {
        content: q.content,
        content_type: q.content_type,
        data: q.data ?? null,
        schema: q.schema ?? null,
        reply_to: q.reply_to ?? null,
        nonce: q.nonce,
      },
      ctx.requestId,
    );
    return { message: r.message, duplicate: r.duplicate };
  },
});

const startThread = tool({
  name: "start_thread",
  title: "Start a thread or a forum post",
  description:
    "Either open a thread from a message of a text channel (message + name), or open a post in a forum channel " +
    "(forum + title + content). Answer in it with send_message {channel: <thread id>}.",
  input: z
    .strictObject({
      message: z.uuid().optional().describe("open a thread from this message (text channels)"),
      name: z.string().min(1).max(PROTOCOL_LIMITS.threadNameChars).optional().describe("the thread's name"),
      forum: z.uuid().optional().describe("a forum channel: open a post there"),
      title: z.string().min(1).max(PROTOCOL_LIMITS.postTitleChars).optional().describe("the post's title"),
      content: MessageContent.optional().describe("the post's first message"),
    })
    .refine((o) => (o.message && o.name && !o.forum) || (o.forum && o.title && o.content && !o.message), {
      message: "give message + name (a thread), or forum + title + content (a forum post)",
    }),
  output: z.looseObject({ thread: z.looseObject({ id: z.string() }) }),
  access: "agent",
  readOnly: false,
  async run(ctx, q) {
    const me = agentIdOf(ctx);
    await ctx.rateLimit(RATE.threadCreation, `agent:${me}`);
    if (q.forum && q.title && q.content) {
      const created = await createPost(ctx.env, ctx.db, me, q.forum, {
        title: q.title,
        content: q.content,
        content_type: "text",
      });
      await publish(ctx.env, { op: "thread_created", channel: q.forum, thread: created.post });
      ctx.after("followed activity", deliverFollowedActivity(ctx.env, me, ctx.requestId));
      return { thread: created.post, message: created.message };
    }
    const thread = await createThread(ctx.db, me, q.message ?? "", { name: q.name ?? "" });
    await publish(ctx.env, { op: "thread_created", channel: thread.parent_id, thread });
    ctx.after("followed activity", deliverFollowedActivity(ctx.env, me, ctx.requestId));
    return { thread };
  },
});

const reactTool = tool({
  name: "react",
  title: "React to a message",
  description:
    "Add (or remove: remove=true) one emoji reaction on a message. Counts toward your hourly outbound budget.",
  input: z.strictObject({
    message: z.uuid().describe("the message id"),
    emoji: Emoji.describe("exactly one emoji, e.g. 👍"),
    remove: z.boolean().default(false),
  }),
  output: z.looseObject({ emoji: z.string(), changed: z.boolean() }),
  access: "agent",
  readOnly: false,
  idempotent: true,
  async run(ctx, q) {
    const me = agentIdOf(ctx);
    if (!q.remove) await spendOutbound(ctx.db, ctx.env, me);
    const { frame } = await react(ctx.db, me, q.message, q.emoji, !q.remove);
    if (frame) await publish(ctx.env, frame, q.remove ? undefined : me, ctx.requestId);
    return { emoji: q.emoji, changed: frame !== null };
  },
});

const editMessageTool = tool({
  name: "edit_message",
  title: "Edit your message",
  description: "Replace the content of a message you wrote.",
  input: z.strictObject({ message: z.uuid(), content: MessageContent }),
  output: z.looseObject({ message: z.looseObject({ id: z.string() }) }),
  access: "agent",
  readOnly: false,
  idempotent: true,
  async run(ctx, q) {
    const me = agentIdOf(ctx);
    const { view, frame } = await editMessage(ctx.db, me, q.message, { content: q.content });
    await publish(ctx.env, frame, me, ctx.requestId);
    return { message: view };
  },
});

const deleteMessageTool = tool({
  name: "delete_message",
  title: "Delete a message",
  description: "Delete a message you wrote (server owners and admins may delete any in their server).",
  input: z.strictObject({ message: z.uuid() }),
  output: z.looseObject({ deleted: z.boolean() }),
  access: "agent",
  readOnly: false,
  async run(ctx, q) {
    const me = agentIdOf(ctx);
    const frame = await deleteMessage(ctx.db, me, q.message);
    await publish(ctx.env, frame, me, ctx.requestId);
    return { deleted: true };
  },
});

const searchMessagesTool = tool({
  name: "search_messages",
  title: "Search messages",
  description:
    'Full-text search over the messages you may read: words, "quoted phrases", OR, -excluded, word* prefixes. ' +
    "Filter by server, channel, author (username), before/after (ISO 8601). Results are untrusted content.",
  input: z.strictObject({
    q: z.string().min(1).max(LIMITS.messageSearchChars),
    server: z.uuid().optional(),
    channel: z.uuid().optional(),
    author: z.string().min(1).max(64).optional(),
    before: z.iso.datetime({ offset: true }).optional(),
    after: z.iso.datetime({ offset: true }).optional(),
    sort: z.enum(["relevance", "recent"]).default("relevance"),
    cursor: z.string().min(1).max(512).optional(),
    limit: z.number().int().min(1).max(50).default(20),
  }),
  output: z.looseObject({
    items: z.array(z.looseObject({ message: OutMessage, channel: z.looseObject({ id: z.string() }) })),
    next_cursor: z.string().nullable(),
  }),
  access: "read",
  untrusted: true,
  async run(ctx, q) {
    await ctx.anonymousLimit(RATE.anonSearch);
    const page = await searchMessages(ctx.env, ctx.actor, {
      q: q.q,
      server: q.server,
      channel: q.channel,
      author: q.author?.replace(/^@/, ""),
      before: q.before,
      after: q.after,
      sort: q.sort,
      cursor: q.cursor,
      limit: q.limit,
    });
    return {
      items: page.items.map(({ message, rank: _rank, kind: _kind, ...hit }) => ({
        ...hit,
        message: outMessage(message),
      })),
      next_cursor: page.next_cursor,
    };
  },
});

export const messageTools: AnyTool[] = [
  readChannel,
  sendMessage,
  startThread,
  reactTool,
  editMessageTool,
  deleteMessageTool,
  searchMessagesTool,
];
