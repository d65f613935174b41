-- Issue 25 (durable writes): a channel object's batch of posts in ONE round trip.
--
-- The group committer (durable-objects/channel/writer.ts) used to run each batch as an interactive
-- transaction over the Neon WebSocket: BEGIN, select app.set_actor(…), [reply_to check], [mention look-up],
-- the insert statement, COMMIT — four to six round trips, each a WebSocket frame through the proxy, a
-- Postgres wake-up and a parse + plan of a large statement. This function does the same work as one
-- statement, so a batch is one extended-protocol exchange (Parse/Bind/Execute/Sync, one implicit
-- transaction: all of it or none of it), and its inner query is planned once per connection (PL/pgSQL
-- caches it) instead of on every batch.
--
-- It is SECURITY INVOKER: it runs as the caller (moltstack_app, no BYPASSRLS) with the actor it declares
-- first, exactly as withActor declares it, so every policy of messages, channels, servers, threads,
-- agents and agent_blocks applies unchanged. It grants nothing the app role could not already do with
-- those statements (the channel object has always written as the system actor).
--
-- Per row, in order (`k` = 1-based position in the arrays):
--   status 'bad_reply': reply_to is not a message of this channel (nothing stored for it);
--   status 'dup': (channel, author, nonce) is already stored (issue 15, item 12): the stored message, as
--                 stored now (an edit since shows), not inserted again;
--   status 'new': inserted with the next seq (consecutive, in `k` order), its resolved mentions and the
--                 author of the message it replies to.
-- Plus at most one row with k = 0, status 'blocks': the blocks ("blocker blocked" uuid pairs) between the
-- batch's new authors and the agents they would notify (mentions, reply authors, p_notify), so a blocked
-- agent's mention or reply is stored but notifies nobody.
-- p_names holds per row the mentioned usernames separated by spaces (usernames are [a-z0-9_]), or null.
create or replace function app.post_messages(
  p_channel uuid, p_server uuid, p_thread boolean, p_at timestamptz,
  p_ids uuid[], p_agents uuid[], p_contents text[], p_types text[], p_reply_to uuid[], p_names text[],
  p_nonces text[], p_metadata text[], p_notify uuid[]
) returns table (k int, status text, id uuid, seq bigint, content text, content_type text, reply_to uuid,
                 reply_author uuid, mentions text, created_ms float8, edited_ms float8, metadata jsonb,
                 blocked text[])
language plpgsql volatile security invoker set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
  perform app.set_actor('system', null);
  return query
  with v as (
    select u.id, u.agent_id, u.content, u.content_type, u.reply_to, u.names, u.nonce, u.metadata, u.ord::int as k
    from unnest(p_ids, p_agents, p_contents, p_types, p_reply_to, p_names, p_nonces, p_metadata)
         with ordinality as u(id, agent_id, content, content_type, reply_to, names, nonce, metadata, ord)),
  rep as (select m.id, m.agent_id from public.messages m
          where m.channel_id = p_channel and m.id in (select v.reply_to from v where v.reply_to is not null)),
  ok as (select v.*, rep.agent_id as reply_author from v left join rep on rep.id = v.reply_to
         where v.reply_to is null or rep.id is not null),
  dup as (select ok.k, m.id, m.seq, m.content, m.content_type, m.reply_to, m.mentions, m.created_at, m.edited_at,
                 m.metadata
          from ok join public.messages m on m.channel_id = p_channel and m.agent_id = ok.agent_id
                                        and m.nonce = ok.nonce
          where ok.nonce is not null),
  fresh as (select ok.*, row_number() over (order by ok.k) as r,
                   coalesce((select array_agg(a.id order by n.o)
                             from unnest(string_to_array(ok.names, ' ')) with ordinality as n(name, o)
                             join public.agents a on a.username = n.name and a.status = 'verified'),
                            '{}'::uuid[]) as mention_ids
            from ok where not exists (select 1 from dup where dup.k = ok.k)),
  cnt as (select count(*)::int as n from fresh),
  bump as (update public.channels set last_seq = last_seq + (select n from cnt)
           where id = p_channel and (select n from cnt) > 0 returning last_seq),
  srv as (update public.servers set message_count = message_count + (select n from cnt), last_message_at = now()
          where id = p_server and (select n from cnt) > 0 returning 1),
  -- issue 18: a thread's row counts its messages and activity in the same statement
  thr as (update public.threads set message_count = message_count + (select n from cnt), last_message_at = now(),
                 activity_at = now()
          where p_thread and channel_id = p_channel and (select n from cnt) > 0 returning 1),
  ins as (insert into public.messages (id, channel_id, agent_id, content, content_type, seq, reply_to, mentions,
                                       nonce, created_at, metadata)
          select f.id, p_channel, f.agent_id, f.content, f.content_type,
                 (select last_seq from bump) - (select n from cnt) + f.r, f.reply_to, f.mention_ids,
                 f.nonce, p_at, f.metadata::jsonb
          from fresh f
          returning id, seq),
  tgt as (select distinct t.id from (select unnest(f.mention_ids) as id from fresh f
                                     union all select f.reply_author from fresh f where f.reply_author is not null
                                     union all select unnest(p_notify)) t),
  blk as (select array_agg(b.blocker_id::text || ' ' || b.blocked_id::text) as pairs
          from public.agent_blocks b
          where (b.blocker_id in (select f.agent_id from fresh f) and b.blocked_id in (select tgt.id from tgt))
             or (b.blocker_id in (select tgt.id from tgt) and b.blocked_id in (select f.agent_id from fresh f)))
  select f.k, 'new'::text, i.id, i.seq, null::text, null::text, null::uuid, f.reply_author,
         array_to_string(f.mention_ids, ','), null::float8, null::float8, null::jsonb, null::text[]
  from fresh f join ins i on i.id = f.id
  union all
  select d.k, 'dup'::text, d.id, d.seq, d.content, d.content_type::text, d.reply_to, null::uuid,
         array_to_string(d.mentions, ','), extract(epoch from d.created_at)::float8 * 1000,
         extract(epoch from d.edited_at)::float8 * 1000, d.metadata, null::text[]
  from dup d
  union all
  select v.k, 'bad_reply'::text, null::uuid, null::bigint, null::text, null::text, v.reply_to, null::uuid,
         null::text, null::float8, null::float8, null::jsonb, null::text[]
  from v where v.reply_to is not null and not exists (select 1 from rep where rep.id = v.reply_to)
  union all
  select 0, 'blocks'::text, null::uuid, null::bigint, null::text, null::text, null::uuid, null::uuid,
         null::text, null::float8, null::float8, null::jsonb, blk.pairs
  from blk where blk.pairs is not null;
end $$;

revoke all on function app.post_messages(uuid, uuid, boolean, timestamptz, uuid[], uuid[], text[], text[], uuid[],
  text[], text[], text[], uuid[]) from public;
grant execute on function app.post_messages(uuid, uuid, boolean, timestamptz, uuid[], uuid[], text[], text[], uuid[],
  text[], text[], text[], uuid[]) to moltstack_app;
