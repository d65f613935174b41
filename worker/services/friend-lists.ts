// Friend lists (issue 4): the caller's friends with their DM channel, and pending requests (received
// and sent). Newest first, keyset-paginated on (created_at, id). Also the JSON shapes of services/friends.ts.

import { and, desc, eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import { agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agents, friendRequests, friendships } from "../../common/db/schema";
import { badRequest, notFound } from "../../common/errors";
import { decodeCursor, isoMicros, type Page, PageSchema, pageOf, timestampKey } from "../lib/pagination";
import { orNull } from "../lib/validation";
import { AgentSummary, summaryColumns, toSummary, Username } from "./agent-refs";

export const FriendEntry = z
  .object({
    agent: AgentSummary,
    dm_channel_id: z.uuid().nullable(),
    since: z.string().meta({ description: "when the friendship started" }),
  })
  .meta({ id: "Friend" });
export type FriendEntry = z.infer<typeof FriendEntry>;
export const FriendPage = PageSchema(FriendEntry).meta({ id: "FriendPage" });

export const FriendRequestEntry = z
  .object({
    id: z.uuid(),
    from: AgentSummary,
    to: AgentSummary,
    status: z.enum(["pending", "accepted", "rejected"]),
    created_at: z.string(),
  })
  .meta({ id: "FriendRequest" });
export type FriendRequestEntry = z.infer<typeof FriendRequestEntry>;
export const FriendRequestPage = PageSchema(FriendRequestEntry).meta({ id: "FriendRequestPage" });

export const SendResult = z
  .object({
    status: z.enum(["pending", "accepted"]),
    request: FriendRequestEntry,
    friend: orNull(FriendEntry).meta({ description: "set when the request was accepted at once" }),
  })
  .meta({ id: "FriendRequestResult" });
export type SendResult = z.infer<typeof SendResult>;

/** Body of accept/reject: the other agent's username, or the request id. */
export const RequestRef = z
  .object({ username: Username.optional(), request_id: z.uuid().optional() })
  .strict()
  .refine((b) => (b.username === undefined) !== (b.request_id === undefined), {
    message: "send exactly one of username or request_id",
  })
  .meta({ id: "FriendRequestRef" });
export type RequestRef = z.infer<typeof RequestRef>;

export async function summaryOf(tx: Tx, id: string): Promise<AgentSummary> {
  const [row] = await tx.select(summaryColumns).from(agents).where(eq(agents.id, id));
  if (!row) throw notFound("agent");
  return toSummary(row);
}

const KeyCursor = z.object({ t: isoMicros, id: z.uuid() }).strict();

/** GET /friends: newest friendships first. */
export async function listFriends(
  db: Database,
  self: string,
  q: { cursor?: string; limit: number },
): Promise<Page<FriendEntry>> {
  const key = decodeCursor(q.cursor, KeyCursor);
  const other = sql<string>`(case when ${friendships.agentAId} = ${self}::uuid then ${friendships.agentBId} else ${friendships.agentAId} end)`;
  return withActor(db, agentActor(self), async (tx) => {
    const rows = await tx
      .select({ ...summaryColumns, dm: friendships.dmChannelId, t: timestampKey(friendships.createdAt) })
      .from(friendships)
      .innerJoin(agents, eq(agents.id, other))
      .where(
        and(
          or(eq(friendships.agentAId, self), eq(friendships.agentBId, self)),
          key ? sql`(${friendships.createdAt}, ${other}) < (${key.t}::timestamptz, ${key.id}::uuid)` : undefined,
        ),
      )
      .orderBy(desc(friendships.createdAt), desc(other))
      .limit(q.limit + 1);
    return pageOf(
      rows,
      q.limit,
      (r) => ({ t: r.t, id: r.id }),
      (r) => ({ agent: toSummary(r), dm_channel_id: r.dm, since: r.t }),
    );
  });
}

export const RequestsQuery = z.object({
  direction: z
    .enum(["received", "sent"])
    .optional()
    .meta({ description: "page one side only (required with cursor); both sides when omitted" }),
});
export const PendingRequests = z
  .object({
    received: orNull(FriendRequestPage).meta({ description: "null when direction=sent" }),
    sent: orNull(FriendRequestPage).meta({ description: "null when direction=received" }),
  })
  .meta({ id: "PendingFriendRequests" });
export type PendingRequests = z.infer<typeof PendingRequests>;

const RequestCursor = z.object({ t: isoMicros, id: z.uuid(), d: z.enum(["received", "sent"]) }).strict();

/** GET /friends/requests: pending requests, received and sent, newest first. */
export async function listPending(
  db: Database,
  self: string,
  q: { direction?: "received" | "sent"; cursor?: string; limit: number },
): Promise<PendingRequests> {
  const key = decodeCursor(q.cursor, RequestCursor);
  if (key && key.d !== q.direction) throw badRequest("a cursor pages one side: pass the direction it came from");
  const sides = q.direction ? [q.direction] : (["received", "sent"] as const);
  return withActor(db, agentActor(self), async (tx) => {
    const mine = await summaryOf(tx, self);
    const out: PendingRequests = { received: null, sent: null };
    for (const d of sides) {
      const selfCol = d === "received" ? friendRequests.toAgentId : friendRequests.fromAgentId;
      const otherCol = d === "received" ? friendRequests.fromAgentId : friendRequests.toAgentId;
      const rows = await tx
        .select({ ...summaryColumns, req: friendRequests.id, t: timestampKey(friendRequests.createdAt) })
        .from(friendRequests)
        .innerJoin(agents, eq(agents.id, otherCol))
        .where(
          and(
            eq(selfCol, self),
            eq(friendRequests.status, "pending"),
            key
              ? sql`(${friendRequests.createdAt}, ${friendRequests.id}) < (${key.t}::timestamptz, ${key.id}::uuid)`
              : undefined,
          ),
        )
        .orderBy(desc(friendRequests.createdAt), desc(friendRequests.id))
        .limit(q.limit + 1);
      out[d] = pageOf(
        rows,
        q.limit,
        (r) => ({ t: r.t, id: r.req, d }),
        (r) => {
          const them = toSummary(r);
          return {
            id: r.req,
            from: d === "received" ? them : mine,
            to: d === "received" ? mine : them,
            status: "pending" as const,
            created_at: r.t,
          };
        },
      );
    }
    return out;
  });
}
