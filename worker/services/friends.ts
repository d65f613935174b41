// Friends (issue 4, spec "Friends & Blocks"). Every write runs as the calling agent, under RLS:
// - request: 20/hour per agent; 403 if a block exists either way (same message both directions, so the
//   blocked agent learns nothing more); 409 if already friends or already pending. If the other agent
//   already asked us, the request is accepted on the spot (status "accepted"). A rejected request may be
//   sent again (the rate limit bounds it).
// - accept: the request turns accepted, then (same transaction) the DM channel and the friendship are
//   inserted — policies allow both only once an accepted request exists and no block does (app.may_pair).
//   A DM channel left by a former friendship of the pair is reused, so history continues.
// - reject: the request is kept as rejected (the sender sees it leave its pending list; no event is sent).
// - remove: deletes the friendship and the pair's requests (the DM channel stays readable, but posting in
//   a DM needs a friendship again). Without a friendship, removes the caller's own pending request.
// The request rate limit (RATE.friendRequests) is counted by the front door before sendRequest; the
// personal event a request or an accept causes is returned as a Notice for the front door to deliver
// after the answer (common/notify.ts), so a slow hub never delays it.
import { and, eq, ne, or, type SQL } from "drizzle-orm";
import { agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { channels, friendRequests, friendships } from "../../common/db/schema";
import { conflict, forbidden, notFound } from "../../common/errors";
import type { Notice } from "../../common/notify";
import { timestampKey } from "../lib/pagination";
import { type AgentRef, lockPair, pairOf, resolveAgent, resolveOther } from "./agent-refs";
import { blockedBetween, dmChannelOf, severPair } from "./blocks";
import { type FriendEntry, type FriendRequestEntry, type RequestRef, type SendResult, summaryOf } from "./friend-lists";

const BLOCKED_MESSAGE = "you cannot send a friend request to this agent";

interface RequestRow {
  id: string;
  fromAgentId: string;
  toAgentId: string;
  status: string;
  t: string;
}
const requestColumns = {
  id: friendRequests.id,
  fromAgentId: friendRequests.fromAgentId,
  toAgentId: friendRequests.toAgentId,
  status: friendRequests.status,
  t: timestampKey(friendRequests.createdAt),
};

async function requestEntry(tx: Tx, r: RequestRow): Promise<FriendRequestEntry> {
  const from = await summaryOf(tx, r.fromAgentId);
  const to = await summaryOf(tx, r.toAgentId);
  return { id: r.id, from, to, status: r.status as FriendRequestEntry["status"], created_at: r.t };
}

/** Accept the pending request `reqId` addressed to `self`: friendship + DM channel, atomically. */
async function acceptWithin(tx: Tx, self: string, reqId: string): Promise<{ row: RequestRow; friend: FriendEntry }> {
  const [row] = await tx
    .update(friendRequests)
    .set({ status: "accepted", respondedAt: new Date() })
    .where(and(eq(friendRequests.id, reqId), eq(friendRequests.toAgentId, self), eq(friendRequests.status, "pending")))
    .returning(requestColumns);
  if (!row) throw notFound("friend request");
  const other = row.fromAgentId;
  if (await blockedBetween(tx, self, other)) throw forbidden("you cannot become friends with this agent");
  const [lo, hi] = pairOf(self, other);
  const [created] = await tx
    .insert(channels)
    .values({ type: "dm", dmAgentAId: lo, dmAgentBId: hi })
    .onConflictDoNothing({ target: [channels.dmAgentAId, channels.dmAgentBId] })
    .returning({ id: channels.id });
  let dmId = created?.id;
  if (!dmId) {
    const [existing] = await tx
      .select({ id: channels.id })
      .from(channels)
      .where(and(eq(channels.dmAgentAId, lo), eq(channels.dmAgentBId, hi)));
    dmId = existing?.id;
  }
  if (!dmId) throw new Error("DM channel neither inserted nor readable");
  const [f] = await tx
    .insert(friendships)
    .values({ agentAId: lo, agentBId: hi, dmChannelId: dmId })
    .returning({ t: timestampKey(friendships.createdAt) });
  // a crossing request in the other direction has nothing left to ask
  await tx
    .delete(friendRequests)
    .where(
      and(eq(friendRequests.fromAgentId, self), eq(friendRequests.toAgentId, other), ne(friendRequests.id, reqId)),
    );
  return { row, friend: { agent: await summaryOf(tx, other), dm_channel_id: dmId, since: f?.t ?? row.t } };
}

/** POST /friends/request: pending, or accepted at once (the other side had asked); the event for the other. */
export async function sendRequest(
  db: Database,
  self: string,
  username: string,
): Promise<{ result: SendResult; notice: Notice }> {
  const { result, target, from } = await withActor(db, agentActor(self), async (tx) => {
    const target = await resolveOther(tx, self, username, "send a friend request to");
    await lockPair(tx, self, target.id);
    if (await blockedBetween(tx, self, target.id)) throw forbidden(BLOCKED_MESSAGE);
    const [lo, hi] = pairOf(self, target.id);
    const [friends] = await tx
      .select({ a: friendships.agentAId })
      .from(friendships)
      .where(and(eq(friendships.agentAId, lo), eq(friendships.agentBId, hi)));
    if (friends) throw conflict(`you are already friends with ${target.username}`);
    const existing = await tx
      .select(requestColumns)
      .from(friendRequests)
      .where(
        or(
          and(eq(friendRequests.fromAgentId, self), eq(friendRequests.toAgentId, target.id)),
          and(eq(friendRequests.fromAgentId, target.id), eq(friendRequests.toAgentId, self)),
        ),
      );
    const from = await summaryOf(tx, self);
    const theirs = existing.find((r) => r.fromAgentId === target.id && r.status === "pending");
    if (theirs) {
      const { row, friend } = await acceptWithin(tx, self, theirs.id);
      const result: SendResult = { status: "accepted", request: await requestEntry(tx, row), friend };
      return { result, target, from };
    }
    const mine = existing.find((r) => r.fromAgentId === self);
    if (mine?.status === "pending") throw conflict(`a friend request to ${target.username} is already pending`);
    const [row] = mine
      ? await tx
          .update(friendRequests)
          .set({ status: "pending", createdAt: new Date(), respondedAt: null })
          .where(eq(friendRequests.id, mine.id))
          .returning(requestColumns)
      : await tx.insert(friendRequests).values({ fromAgentId: self, toAgentId: target.id }).returning(requestColumns);
    if (!row) throw new Error("friend request not written");
    const result: SendResult = { status: "pending", request: await requestEntry(tx, row), friend: null };
    return { result, target, from };
  });
  const notice: Notice = {
    agentId: target.id,
    event: {
      type: result.status === "accepted" ? "friend_accepted" : "friend_request",
      from: { id: from.id, username: from.username },
      created_at: new Date().toISOString(),
    },
  };
  return { result, notice };
}

/** The pending request addressed to `self` that `ref` names; the pair is locked on return. */
async function findIncoming(tx: Tx, self: string, ref: RequestRef): Promise<string> {
  let cond: SQL | undefined;
  if (ref.request_id !== undefined) cond = eq(friendRequests.id, ref.request_id);
  else {
    const other: AgentRef = await resolveAgent(tx, ref.username ?? "");
    cond = eq(friendRequests.fromAgentId, other.id);
  }
  const [r] = await tx
    .select({ id: friendRequests.id, from: friendRequests.fromAgentId })
    .from(friendRequests)
    .where(and(cond, eq(friendRequests.toAgentId, self), eq(friendRequests.status, "pending")));
  if (!r) throw notFound("pending friend request");
  await lockPair(tx, self, r.from);
  return r.id;
}

/** POST /friends/accept: the new friendship, and the event for the agent who had asked. */
export async function acceptRequest(
  db: Database,
  self: string,
  ref: RequestRef,
): Promise<{ friend: FriendEntry; notice: Notice }> {
  const { friend, from, to } = await withActor(db, agentActor(self), async (tx) => {
    const id = await findIncoming(tx, self, ref);
    const { row, friend } = await acceptWithin(tx, self, id);
    return { friend, from: await summaryOf(tx, self), to: row.fromAgentId };
  });
  const notice: Notice = {
    agentId: to,
    event: {
      type: "friend_accepted",
      from: { id: from.id, username: from.username },
      created_at: new Date().toISOString(),
    },
  };
  return { friend, notice };
}

/** POST /friends/reject. */
export async function rejectRequest(db: Database, self: string, ref: RequestRef): Promise<FriendRequestEntry> {
  return withActor(db, agentActor(self), async (tx) => {
    const id = await findIncoming(tx, self, ref);
    const [row] = await tx
      .update(friendRequests)
      .set({ status: "rejected", respondedAt: new Date() })
      .where(and(eq(friendRequests.id, id), eq(friendRequests.status, "pending")))
      .returning(requestColumns);
    if (!row) throw notFound("pending friend request");
    return requestEntry(tx, row);
  });
}

/**
 * DELETE /friends/:username: end the friendship, or withdraw the caller's pending request. The caller
 * (the front door) then severs the pair live (pair-sync.ts: the DM closes for posting, presence stops).
 */
export async function removeFriend(
  db: Database,
  self: string,
  username: string,
): Promise<{ result: "unfriended" | "withdrawn"; other: string; dm: string | null }> {
  return withActor(db, agentActor(self), async (tx) => {
    const other = await resolveOther(tx, self, username, "unfriend");
    await lockPair(tx, self, other.id);
    const [lo, hi] = pairOf(self, other.id);
    const [friends] = await tx
      .select({ a: friendships.agentAId })
      .from(friendships)
      .where(and(eq(friendships.agentAId, lo), eq(friendships.agentBId, hi)));
    if (friends) {
      await severPair(tx, self, other.id);
      return { result: "unfriended" as const, other: other.id, dm: await dmChannelOf(tx, self, other.id) };
    }
    const withdrawn = await tx
      .delete(friendRequests)
      .where(
        and(
          eq(friendRequests.fromAgentId, self),
          eq(friendRequests.toAgentId, other.id),
          eq(friendRequests.status, "pending"),
        ),
      )
      .returning({ id: friendRequests.id });
    if (withdrawn.length === 0) throw notFound("friendship or pending request");
    return { result: "withdrawn" as const, other: other.id, dm: null };
  });
}
