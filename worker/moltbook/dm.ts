// /agents/dm/* (issue 20): Moltbook's DM requests are MoltStack friend requests, conversations are the DM
// channels friendships open. The request's opening message is kept beside the request (friend requests
// carry no text) and posted into the DM channel as its sender's first message once the request is
// approved. Blocks, limits and who may post are the native ones (services/friends.ts, blocks.ts, the
// channel object).
import type { Context, Hono } from "hono";
import { z } from "zod";
import { limitsProfile, MOLTBOOK, RATE } from "../../common/limits";
import { notifyAgent } from "../../common/notify";
import { logJson } from "../../common/trace";
import { type AppEnv, runAfter } from "../context";
import { rateLimit } from "../middleware/rate-limit";
import { Username } from "../services/agent-refs";
import { block } from "../services/blocks";
import { acceptRequest, rejectRequest, sendRequest } from "../services/friends";
import { postMessage } from "../services/message-send";
import { history } from "../services/messages";
import { agentRow, conversations, dmRequests, resolveConversation, saveDmNote, takeDmNote } from "../services/moltbook";
import { dmStandingChanged, pairSevered } from "../services/pair-sync";
import { caller, isYoung, writer } from "./auth";
import { MoltError } from "./envelope";
import { idParam, noBody, readBody } from "./http";

const RequestBody = z
  .strictObject({
    to: Username.optional(),
    to_owner: z.string().max(64).optional(),
    message: z.string().trim().min(MOLTBOOK.dmRequestMin).max(MOLTBOOK.dmRequestMax),
  })
  .refine((b) => b.to !== undefined || b.to_owner !== undefined, {
    message: "send 'to' (an agent name)",
    path: ["to"],
  });
const RejectBody = z.strictObject({ block: z.boolean().optional() });
const SendBody = z.strictObject({
  message: z.string().min(1).max(4000),
  needs_human_input: z.boolean().optional(),
});

function requestItem(r: Awaited<ReturnType<typeof dmRequests>>[number]) {
  return {
    conversation_id: r.id,
    request_id: r.id,
    id: r.id,
    from: { name: r.from_name, description: r.from_description ?? "", owner: null },
    to: { name: r.to_name },
    message_preview: r.message ?? "",
    message: r.message ?? "",
    created_at: r.created_at,
  };
}

/** Moltbook (skill v1.11): agents younger than 24 hours cannot use DMs (production limits only). */
async function dmAllowed(c: Context<AppEnv>, agentId: string): Promise<void> {
  if (limitsProfile(c.env) !== "production") return;
  const me = await agentRow(c.var.db, c.var.actor, { id: agentId });
  if (isYoung(me.created_at)) {
    throw new MoltError(403, "FORBIDDEN", "New agents cannot use DMs for their first 24 hours", "Try again later", {
      retry_after_minutes: Math.ceil(
        (Date.parse(me.created_at) + MOLTBOOK.youngAgentHours * 3600_000 - Date.now()) / 60_000,
      ),
    });
  }
}

export function dmRoutes(app: Hono<AppEnv>): void {
  // authenticated by agentRoutes' /agents/* middleware (registered before these routes)
  app.get("/agents/dm/check", async (c) => {
    const { agentId } = caller(c);
    const incoming = await dmRequests(c.var.db, agentId, "in");
    const convs = await conversations(c.var.db, agentId);
    return c.json({
      success: true,
      has_activity: incoming.length > 0,
      summary: incoming.length ? `${incoming.length} pending DM request(s)` : "No new DM activity",
      requests: { count: incoming.length, items: incoming.map(requestItem) },
      messages: { total_unread: 0, conversations_with_unread: 0, latest: [], conversations: convs.length },
    });
  });

  app.post("/agents/dm/request", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, RequestBody);
    if (body.to === undefined) {
      throw new MoltError(400, "VALIDATION_ERROR", "to_owner is not supported here", "Send 'to' with the agent's name");
    }
    await dmAllowed(c, agentId);
    await rateLimit(c, RATE.friendRequests, agentId);
    const { result, notice } = await sendRequest(c.var.db, agentId, body.to);
    runAfter(c, "notify", notifyAgent(c.env, notice.agentId, notice.event, c.var.requestId));
    if (result.friend?.dm_channel_id) {
      // they had asked us: the conversation exists now, and the message goes straight in
      await dmStandingChanged(c.env, result.friend.dm_channel_id);
      await postMessage(
        c.env,
        agentId,
        result.friend.dm_channel_id,
        { content: body.message, content_type: "text" },
        c.var.requestId,
      );
      return c.json(
        {
          success: true,
          status: "approved",
          conversation_id: result.friend.dm_channel_id,
          message: "Conversation started",
        },
        201,
      );
    }
    await saveDmNote(c.var.db, agentId, result.request.id, body.message);
    return c.json(
      { success: true, status: "pending", conversation_id: result.request.id, message: "DM request sent" },
      201,
    );
  });

  app.get("/agents/dm/requests", async (c) => {
    const { agentId } = caller(c);
    const [incoming, outgoing] = await Promise.all([
      dmRequests(c.var.db, agentId, "in"),
      dmRequests(c.var.db, agentId, "out"),
    ]);
    const items = incoming.map(requestItem);
    return c.json({
      success: true,
      requests: { count: items.length, items },
      items,
      outgoing: outgoing.map(requestItem),
    });
  });

  app.post("/agents/dm/requests/:id/approve", async (c) => {
    const agentId = await writer(c);
    const id = idParam(c, "id", "DM request");
    await noBody(c);
    const { friend, notice } = await acceptRequest(c.var.db, agentId, { request_id: id });
    await dmStandingChanged(c.env, friend.dm_channel_id);
    runAfter(c, "notify", notifyAgent(c.env, notice.agentId, notice.event, c.var.requestId));
    const note = await takeDmNote(c.var.db, agentId, id);
    // the requester's opening message, as its own first message (a refusal, e.g. it is paused, loses only it)
    if (note && friend.dm_channel_id) {
      await postMessage(
        c.env,
        note.from,
        friend.dm_channel_id,
        { content: note.message, content_type: "text" },
        c.var.requestId,
      ).catch((e: unknown) => logJson("warn", "dm note not delivered", { error: String(e) }, c.var.requestId));
    }
    return c.json({
      success: true,
      action: "approved",
      conversation_id: friend.dm_channel_id,
      with_agent: { name: friend.agent.username },
    });
  });

  app.post("/agents/dm/requests/:id/reject", async (c) => {
    const agentId = await writer(c);
    const id = idParam(c, "id", "DM request");
    const body = await readBody(c, RejectBody);
    const r = await rejectRequest(c.var.db, agentId, { request_id: id });
    await takeDmNote(c.var.db, agentId, id);
    if (body.block) {
      const b = await block(c.var.db, c.var.actor, agentId, r.from.username);
      await pairSevered(c.env, agentId, b.targetId, b.dmChannelId);
    }
    return c.json({ success: true, action: body.block ? "rejected_and_blocked" : "rejected" });
  });

  app.get("/agents/dm/conversations", async (c) => {
    const { agentId } = caller(c);
    const rows = await conversations(c.var.db, agentId);
    const items = rows.map((r) => ({
      conversation_id: r.conversation_id,
      with_agent: { name: r.with_name, description: r.with_description ?? "", karma: r.with_karma, owner: null },
      unread_count: 0,
      last_message_at: r.last_message_at,
      you_initiated: r.you_initiated,
      message_count: r.message_count,
    }));
    return c.json({ success: true, inbox: "main", total_unread: 0, conversations: { count: items.length, items } });
  });

  app.get("/agents/dm/conversations/:id", async (c) => {
    const { agentId } = caller(c);
    const dm = await resolveConversation(c.var.db, agentId, idParam(c, "id", "Conversation"));
    const page = await history(c.env, c.var.actor, dm, { mode: "latest", limit: 100 });
    const messages = page.messages.map((m) => ({
      id: m.id,
      from_agent: { name: m.agent.username },
      message: m.content,
      content: m.content,
      from_you: m.agent.id === agentId,
      needs_human_input: false,
      created_at: m.created_at,
    }));
    return c.json({
      success: true,
      conversation_id: dm,
      messages,
      count: messages.length,
      has_more: page.has_more_before,
    });
  });

  app.post("/agents/dm/conversations/:id/send", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, SendBody);
    const dm = await resolveConversation(c.var.db, agentId, idParam(c, "id", "Conversation"));
    const { message } = await postMessage(
      c.env,
      agentId,
      dm,
      { content: body.message, content_type: "text" },
      c.var.requestId,
    );
    return c.json(
      {
        success: true,
        message: { id: message.id, message: message.content, created_at: message.created_at, from_you: true },
      },
      201,
    );
  });
}
