// The channel object's gateway entry points (issue 17), called by an agent's hub over RPC. Authorisation,
// posting, typing and replay are the channel socket's own code paths (access.ts decideConnect, RoomCore
// post/typing, the recent window and Postgres replay), so the gateway has no rules of its own.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import { type ErrorCode, PLATFORM_INSTRUCTIONS } from "../../protocol";
import { type ChannelMeta, decideConnect } from "../channel/access";
import { framesAfter } from "../channel/replay";
import type { RoomCore } from "../channel/room-core";
import { gatewayContext } from "./fanout";
import {
  GatewayOrigin,
  type GatewayPostInput,
  type PostAnswer,
  type ReplayAnswer,
  type ReplayFrame,
  type SubscribeAnswer,
} from "./wire";

const contexts = new WeakMap<ChannelMeta, string>();

function contextOf(meta: ChannelMeta): string {
  let c = contexts.get(meta);
  if (c === undefined) {
    c = gatewayContext(meta, meta.id, PLATFORM_INSTRUCTIONS);
    contexts.set(meta, c);
  }
  return c;
}

/** May the agent read this channel? Then register its hub and answer with what the socket gets first. */
export async function subscribe(core: RoomCore, agentId: string, afterSeq: number | null): Promise<SubscribeAnswer> {
  const meta = await core.meta();
  if (!meta) return { ok: false, code: "not_found", message: "channel not found" };
  const member = await core.member(agentId);
  const d = decideConnect(meta, { kind: "agent", member });
  if (!d.ok) {
    const code: ErrorCode = d.status === 404 ? "not_found" : "forbidden";
    return { ok: false, code, message: d.message };
  }
  core.gateway.add(agentId);
  core.outbound(member, core.now(), "connect");
  const head = { ok: true as const, context: contextOf(meta), presence: core.presenceFrame() };
  if (afterSeq === null) {
    // the meta was read since this object woke, and nothing was broadcast since (else baseline() knows
    // the seq without asking): its last_seq is current but for a commit in flight, which baseline() awaits
    const known = meta.lastSeq;
    const seq = await core.gateway.baseline(
      () => (known === undefined ? lastSeq(core) : Promise.resolve(known)),
      () => core.committer.idle(),
    );
    return { ...head, seq, frames: [], more: false };
  }
  const r = await chunkAfter(core, afterSeq);
  return { ...head, seq: afterSeq, frames: r.frames, more: r.more };
}

async function lastSeq(core: RoomCore): Promise<number> {
  const r = await withActor(core.db(), SYSTEM, (tx) =>
    tx.execute<{ last_seq: string | number }>(sql`select last_seq from channels where id = ${core.channelId}`),
  );
  return Number(r.rows[0]?.last_seq ?? 0);
}

/** Frames after a seq: from the recent window when it holds them all, else one chunk from Postgres. */
async function chunkAfter(core: RoomCore, afterSeq: number): Promise<{ frames: ReplayFrame[]; more: boolean }> {
  const recent = core.recent.after(afterSeq);
  if (recent) return { frames: recent, more: false };
  const chunk = await framesAfter(core.db(), core.channelId, afterSeq);
  return { frames: chunk.frames, more: chunk.more };
}

/** The next chunk of a subscription's replay (only for a registered hub). */
export async function replay(core: RoomCore, agentId: string, afterSeq: number): Promise<ReplayAnswer> {
  if (!core.gateway.has(agentId)) return { ok: false, code: "not_found", message: "not subscribed" };
  const r = await chunkAfter(core, afterSeq);
  return { ok: true, ...r };
}

/** A post from a gateway socket: the channel socket's path (RoomCore.post); the ack is queued to the hub. */
export async function post(
  core: RoomCore,
  agentId: string,
  socket: string,
  input: GatewayPostInput,
): Promise<PostAnswer> {
  const r = await core.post(agentId, {
    content: input.content,
    contentType: input.content_type,
    replyTo: input.reply_to,
    nonce: input.nonce,
    origin: new GatewayOrigin(agentId, socket),
  });
  if (r.ok) return { ok: true };
  if (r.status === 403 && (r.code === "forbidden" || r.code === "read_only")) {
    // as on a channel socket: an agent who may no longer read here loses the subscription and is told why
    const m = await core.member(agentId);
    if (m.standing === "banned" || m.standing === "not_member" || m.standing === "inactive") {
      core.gateway.end(agentId, m.standing === "inactive" ? "unauthorized" : "forbidden", r.message);
    }
  }
  return {
    ok: false,
    code: r.code,
    message: r.message,
    ...(r.retry_after !== undefined ? { retry_after: r.retry_after } : {}),
  };
}

/** `typing {channel}`: refused (read_only) where the agent may not post, else the channel socket's path. */
export async function typing(core: RoomCore, agentId: string): Promise<PostAnswer> {
  const m = await core.member(agentId);
  if (!m.canPost) return { ok: false, code: "read_only", message: "you cannot post in this channel" };
  await core.typing(agentId);
  return { ok: true };
}
