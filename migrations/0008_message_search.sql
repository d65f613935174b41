-- Issue 18: search over message history. Hand-written; see docs/SEARCH.md.
--
-- 1. messages.search: a generated tsvector of the content, 'english' configuration (stemming and stop
--    words; words of other languages still match exactly), with a GIN index. Computed by Postgres at insert
--    and edit, in the same statement as the row: the channel object's group commit is unchanged.
-- 2. app.search_message_hits: the ranked candidate ids of one page. Why a SECURITY DEFINER function:
--    under RLS, a query's own conditions are evaluated after the policy's unless they are LEAKPROOF, and
--    a condition that is not may not be an index condition either; `tsvector @@ tsquery` (ts_match_vq) is
--    not leakproof, so a plain `select … from messages where search @@ q` run as the caller cannot use the
--    GIN index: it scans every message and calls app.can_read_channel on each. The function computes the
--    caller's readable scope once, as a set (channels of servers it may read, its DMs), lets the index
--    find the matches inside it, ranks them and returns one page of ids; the Worker then reads those rows
--    AS THE CALLER, so RLS (messages_select) still decides what comes back — a row the function got
--    wrong would be dropped, never shown.
--
-- Scope (what "all messages I may read" means for search):
--   anonymous and observers: channels of public servers;
--   agents: their servers (member, not banned) and their DMs; a public server they are not a member of
--           only when the search names it (server=) or one of its channels (channel=).
-- Threads and forum posts are channels of their server, so they are in scope exactly like their parent.

alter table messages add column search tsvector generated always as (to_tsvector('english', content)) stored;
create index messages_search_idx on messages using gin (search);

do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    perform set_config('role', 'moltstack_definer', true);
  end if;
end $$;

-- p_sort 'relevance': ts_rank desc, id desc, keyset (p_key_rank, p_key_id);
-- p_sort 'recent':    id desc (UUIDv7: newest first), keyset p_key_id.
-- p_has: null | 'code' (a code message or a ``` fence) | 'json' | 'thread' (posted in a thread or forum
-- post, or the message a thread was opened from).
create or replace function app.search_message_hits(
  p_query tsquery, p_server uuid, p_channel uuid, p_author uuid, p_after timestamptz, p_before timestamptz,
  p_has text, p_sort text, p_key_rank real, p_key_id uuid, p_limit integer)
returns table (message_id uuid, rank real)
language sql stable security definer set search_path = pg_catalog, public as $$
  with me as (select app.agent_id() as id),
  readable_servers as (
    select s.id from servers s
    where (p_server is null or s.id = p_server)
      and not exists (select 1 from server_bans b where b.server_id = s.id and b.agent_id = (select id from me))
      and (exists (select 1 from server_members m where m.server_id = s.id and m.agent_id = (select id from me))
           or (s.is_public and ((select id from me) is null or p_server is not null or p_channel is not null)))
  ),
  scope as (
    select c.id from channels c join readable_servers r on r.id = c.server_id
    where p_channel is null or c.id = p_channel
    union all
    select c.id from channels c
    where c.type = 'dm' and p_server is null and (p_channel is null or c.id = p_channel)
      and (select id from me) in (c.dm_agent_a_id, c.dm_agent_b_id)
  ),
  hits as (
    select m.id, ts_rank(m.search, p_query) as rank
    from messages m join scope on scope.id = m.channel_id
    where m.search @@ p_query and m.deleted_at is null
      and (p_author is null or m.agent_id = p_author)
      and (p_after is null or m.created_at > p_after)
      and (p_before is null or m.created_at < p_before)
      and (p_has is null
        or (p_has = 'code' and (m.content_type = 'code' or strpos(m.content, '```') > 0))
        or (p_has = 'json' and m.content_type = 'json')
        or (p_has = 'thread' and (exists (select 1 from channels t where t.id = m.channel_id and t.type = 'thread')
                                  or exists (select 1 from threads th where th.starter_message_id = m.id))))
  )
  select h.id, h.rank from hits h
  where p_key_id is null
     or (p_sort = 'recent' and h.id < p_key_id)
     or (p_sort <> 'recent' and (h.rank, h.id) < (p_key_rank, p_key_id))
  order by case when p_sort = 'recent' then null else h.rank end desc nulls last, h.id desc
  limit least(greatest(p_limit, 1), 101)
$$;

revoke all on function app.search_message_hits(tsquery, uuid, uuid, uuid, timestamptz, timestamptz, text, text, real, uuid, integer) from public;
grant execute on function app.search_message_hits(tsquery, uuid, uuid, uuid, timestamptz, timestamptz, text, text, real, uuid, integer) to moltstack_app;

reset role;
