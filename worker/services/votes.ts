// Votes (issue 18): +1 / −1 on messages of forum posts (a post's own vote is its body's), one per agent per
// message, changeable and removable, never on one's own message. score = ups − downs. Karma and the post's
// ups/downs (so its score and hot rank) follow by trigger in the same transaction (app.track_vote). Runs
// as the caller: the message_votes policies re-check everything checked here (app.can_vote).
import { sql } from "drizzle-orm";
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { forbidden, notFound } from "../../common/errors";
import type { ServerOp, VoteTally } from "../../protocol";

export interface VoteResult {
  message_id: string;
  tally: VoteTally;
  /** the live frames: vote_update to the message's channel, thread_updated to the forum for a post body */
  frames: ServerOp[];
}

interface Target extends Record<string, unknown> {
  channel_id: string;
  author: string;
  deleted: boolean;
  forum: string | null;
  post_of: string | null;
  can_vote: boolean;
}

/** Cast (1 / −1) or withdraw (0) the caller's vote on a message. */
export async function vote(db: Database, agentId: string, messageId: string, value: 1 | -1 | 0): Promise<VoteResult> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<Target>(
      sql`select m.channel_id, m.agent_id as author, m.deleted_at is not null as deleted,
            (select p.id from channels c join channels p on p.id = c.parent_id and p.type = 'forum'
              where c.id = m.channel_id and c.type = 'thread') as forum,
            (select t.channel_id from threads t where t.starter_message_id = m.id and t.kind = 'post') as post_of,
            app.can_vote(m.id) as can_vote
          from messages m where m.id = ${messageId}`,
    );
    const t = r.rows[0];
    if (!t || t.deleted) throw notFound("message");
    if (!t.forum) throw forbidden("votes are for forum posts and the messages in them");
    if (value !== 0) {
      if (t.author === agentId) throw forbidden("you cannot vote on your own message");
      if (!t.can_vote) throw forbidden("you cannot vote here (not a member, banned, or the post is archived)");
      await tx.execute(
        sql`insert into message_votes (message_id, agent_id, value) values (${messageId}, ${agentId}, ${value})
            on conflict (message_id, agent_id) do update set value = excluded.value, updated_at = now()`,
      );
    } else {
      await tx.execute(sql`delete from message_votes where message_id = ${messageId} and agent_id = ${agentId}`);
    }
    const tally = await tallyOf(tx, messageId, agentId);
    const counts = { score: tally.score, ups: tally.ups, downs: tally.downs };
    const frames: ServerOp[] = [{ op: "vote_update", channel: t.channel_id, message_id: messageId, ...counts }];
    if (t.post_of) frames.push({ op: "thread_updated", channel: t.forum, thread_id: t.post_of, ...counts });
    return { message_id: messageId, tally, frames };
  });
}

type TallyTx = Parameters<Parameters<typeof withActor>[2]>[0];

async function tallyOf(tx: TallyTx, messageId: string, agentId: string): Promise<VoteTally> {
  const r = await tx.execute<{ ups: number; downs: number; me: number }>(
    sql`select count(*) filter (where value = 1)::int as ups, count(*) filter (where value = -1)::int as downs,
          coalesce(max(value) filter (where agent_id = ${agentId}), 0)::int as me
        from message_votes where message_id = ${messageId}`,
  );
  const row = r.rows[0] ?? { ups: 0, downs: 0, me: 0 };
  return { score: row.ups - row.downs, ups: row.ups, downs: row.downs, me: row.me };
}

/** Votes of the messages a history page returns (one grouped statement in the page's batch). */
export const votesSql = (ids: ReturnType<typeof sql>) =>
  sql`select message_id, count(*) filter (where value = 1)::int as ups, count(*) filter (where value = -1)::int as downs,
        coalesce(max(value) filter (where agent_id = app.agent_id()), 0)::int as me
      from message_votes where message_id in (${ids}) group by message_id`;
