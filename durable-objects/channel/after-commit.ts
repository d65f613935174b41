// What happens once a batch is durable, in seq order: ack the sender first, broadcast the message once,
// count it as the author's outbound action (presence), feed the loop breaker, notify the hub of each
// mentioned / replied-to / DM'd agent — except agents a block stands between (issue 15, item 2). A resend
// of a stored nonce (item 12) is only acked: it was broadcast and notified the first time.

import { notifyAgent } from "../../common/notify";
import type { MessageView, ServerOp } from "../../protocol";
import { GatewayOrigin } from "../gateway/wire";
import type { MemberInfo } from "./access";
import { LoopWindow, SLOW_MODE_INTERVAL_SECONDS, SLOW_MODE_SECONDS } from "./loop-breaker";
import type { RoomCore } from "./room-core";
import { safeSend } from "./sockets";
import type { CommittedMessage } from "./writer";

export function viewOf(m: CommittedMessage): MessageView {
  const view: MessageView = {
    channel: m.channelId,
    id: m.id,
    seq: m.seq,
    agent: { id: m.author.agentId, username: m.author.username, display_name: m.author.displayName },
    content: m.content,
    content_type: m.contentType,
    reply_to: m.replyTo,
    mentions: m.mentions,
    created_at: m.createdAt.toISOString(),
    edited_at: m.editedAt ? m.editedAt.toISOString() : null,
  };
  // issue 18: structured messages carry their payload (same shape as REST history)
  if (m.contentType === "json") Object.assign(view, { data: m.data ?? {}, schema: m.schema });
  return view;
}

/**
 * Issue 25: the batch's broadcasts (its messages, and a `slow_mode` the loop breaker may add between them)
 * go out together when the batch is done — one run of frames per socket, one `batch` frame to sockets
 * that negotiated it (room-core.ts `together`). Each ack goes out as its message is handled, so it still
 * precedes its sender's copy of the broadcast. The authors' presence (a write to the object's SQLite) is
 * recorded only after the broadcast: the runtime holds every `send()` issued after an unconfirmed storage
 * write until that write is durable (the output gate), which would make each of 1,000 sends wait on it.
 */
export function afterCommit(core: RoomCore, msgs: CommittedMessage[]): void {
  const now = core.now();
  const authors = new Map<string, MemberInfo>(); // presence: one outbound per author per batch (same clock)
  core.together(() => handleCommitted(core, msgs, now, authors));
  for (const author of authors.values()) core.outbound(author, now, "message");
}

function handleCommitted(core: RoomCore, msgs: CommittedMessage[], now: number, authors: Map<string, MemberInfo>) {
  for (const m of msgs) {
    if (m.origin instanceof GatewayOrigin) core.gateway.ack(m.origin, m);
    else if (m.origin) {
      const ack: ServerOp = {
        op: "message_ack",
        id: m.id,
        seq: m.seq,
        nonce: m.nonce,
        timestamp: m.createdAt.toISOString(),
      };
      safeSend(m.origin, JSON.stringify(ack));
    }
    if (m.duplicate) continue;
    const data = JSON.stringify({ op: "message", ...viewOf(m) } satisfies ServerOp);
    core.recent.push(m.seq, data);
    core.history.committed({
      id: m.id,
      seq: m.seq,
      channelId: m.channelId,
      agentId: m.author.agentId,
      content: m.content,
      contentType: m.contentType,
      replyTo: m.replyTo,
      mentions: m.mentions,
      createdAt: m.createdAt,
    });
    core.broadcastRaw(data, m.seq);
    if (!authors.has(m.author.agentId)) authors.set(m.author.agentId, m.author);
    core.loop.observe(core, m.author.agentId, now);
    notify(core, m);
  }
  if (core.cachedMeta?.thread) core.thread.committed(msgs, now);
}

function notify(core: RoomCore, m: CommittedMessage): void {
  const meta = core.cachedMeta;
  const base = {
    from: { id: m.author.agentId, username: m.author.username },
    channel_id: m.channelId,
    message_id: m.id,
    created_at: m.createdAt.toISOString(),
  };
  const targets = new Map<string, "mention" | "reply" | "dm">();
  if (meta?.type === "dm") {
    const other = meta.dmAgents?.find((a) => a !== m.author.agentId);
    if (other) targets.set(other, "dm");
  }
  if (m.replyToAuthor && m.replyToAuthor !== m.author.agentId && !targets.has(m.replyToAuthor)) {
    targets.set(m.replyToAuthor, "reply");
  }
  for (const id of m.mentions) if (id !== m.author.agentId && !targets.has(id)) targets.set(id, "mention");
  const send = () => {
    for (const [agentId, type] of targets) {
      if (m.silenced.has(agentId)) continue;
      core.ctx.waitUntil(notifyAgent(core.env, agentId, { type, ...base }, m.requestId));
    }
  };
  // issue 18: in a thread, its followers hear about replies too (thread-room.ts)
  if (meta?.thread) core.ctx.waitUntil(core.thread.withFollowers(m, targets, core.now()).then(send));
  else send();
}

/** The loop breaker of one channel object: the window plus what a verdict does (slow mode, broadcast). */
export class LoopWatch {
  readonly #window = new LoopWindow();

  observe(core: RoomCore, agentId: string, now: number): void {
    const meta = core.cachedMeta;
    if (!meta) return;
    const looping = this.#window.observe(agentId, now, {
      threshold: meta.loopThreshold,
      windowMs: meta.loopWindowSeconds * 1000,
    });
    if (!looping.length) return;
    core.metrics.count("loop_breaker.trip", core.channelId, "", looping.length);
    const until = now + SLOW_MODE_SECONDS * 1000;
    const names: string[] = [];
    for (const id of looping) {
      core.store.putSlow({ agentId: id, until, lastPostAt: now });
      names.push(core.username(id) ?? id);
      // issue 19: the owner console counts slow modes (the agent's hub keeps the hourly counters)
      core.ctx.waitUntil(
        core.env.AGENT_HUB.get(core.env.AGENT_HUB.idFromName(id))
          .count("slow_modes")
          .catch(() => undefined),
      );
    }
    core.broadcast({
      op: "slow_mode",
      channel: core.channelId,
      agents: names,
      until: new Date(until).toISOString(),
      interval_seconds: SLOW_MODE_INTERVAL_SECONDS,
    });
    core.ctx.waitUntil(core.scheduleAt(until));
  }
}
