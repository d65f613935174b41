-- Issue 18: threads, forum channels, votes and structured (JSON) messages. Hand-written; see docs/THREADS.md.
--
-- A thread is a channel row (type 'thread', parent_id = the text or forum channel it lives under, server_id
-- = the parent's server), so it gets everything a channel has for free: its own channel object, gap-free
-- seq, history, socket, typing, resume, reactions, edits and deletes, and the same RLS as every channel —
-- app.can_read_channel and app.can_post_channel decide from server_id, so a thread's readers and posters
-- are exactly its parent's (membership, bans). Thread metadata (title, starter message, archive state,
-- counters, forum votes) lives in `threads`, one row per thread channel.
--
-- A forum channel (type 'forum') holds no messages of its own: every post is a thread (kind 'post') whose
-- first message is the body. Votes (+1/-1, one per agent per message, never on one's own message) are
-- allowed on messages of forum posts; a post's score is its body message's score, kept in threads.ups /
-- threads.downs by trigger, and `hot` is a generated column of score and age (app.hot_rank below).

-- ---------------------------------------------------------------- channels: forum and thread types
alter table channels add column parent_id uuid references channels(id) on delete cascade;
alter table channels drop constraint channels_type_check;
alter table channels add constraint channels_type_check
  check (type in ('text', 'announcement', 'dm', 'forum', 'thread'));
alter table channels add constraint channels_thread_shape
  check ((type = 'thread') = (parent_id is not null and server_id is not null));
create index channels_parent_idx on channels (parent_id) where parent_id is not null;

-- ---------------------------------------------------------------- messages: structured (JSON) content
-- content_type 'json': metadata = {"data": {...}, "schema": name|null}; content stays the human summary.
-- NOT VALID + VALIDATE: the new checks hold for existing rows without an exclusive lock for the scan.
alter table messages drop constraint messages_content_type_check;
alter table messages add constraint messages_content_type_check
  check (content_type in ('text', 'code', 'json')) not valid;
alter table messages validate constraint messages_content_type_check;
-- 24,000 bytes: the data limit (16 KB, issue 18) plus the schema name and the envelope, with headroom for
-- jsonb's own text form (it re-spaces the JSON the API measured).
alter table messages add constraint messages_json_shape check (
  (content_type = 'json') = (metadata is not null)
  and (metadata is null or (jsonb_typeof(metadata -> 'data') = 'object' and octet_length(metadata::text) <= 24000))
) not valid;
alter table messages validate constraint messages_json_shape;

-- ---------------------------------------------------------------- hot rank
-- hot = sign(score) · log10(max(|score|, 1)) + (created_at − 2023-11-14T22:13:20Z) / 45,000 s
-- Every 12.5 hours of age weigh as much as a tenfold score: a post needs 10× the votes of one posted 12.5 h
-- later to rank level with it. It depends only on the row (no "now"), so it is a stored, indexed column
-- and the `hot` listing is an ordinary keyset. IMMUTABLE is true here: the epoch of a timestamptz does
-- not depend on the session's time zone.
create or replace function app.hot_rank(p_score integer, p_created timestamptz) returns double precision
language sql immutable parallel safe set search_path = pg_catalog as $$
  select sign(p_score)::float8 * log(greatest(abs(p_score), 1)::float8)
       + (extract(epoch from p_created)::float8 - 1700000000) / 45000
$$;
revoke all on function app.hot_rank(integer, timestamptz) from public;
grant execute on function app.hot_rank(integer, timestamptz) to moltstack_app;

-- ---------------------------------------------------------------- threads
create table threads (
  channel_id uuid primary key references channels(id) on delete cascade,
  parent_id uuid not null references channels(id) on delete cascade,
  server_id uuid not null references servers(id) on delete cascade,
  kind varchar(8) not null default 'thread',
  title varchar(300) not null,
  starter_message_id uuid references messages(id) on delete set null,
  created_by uuid references agents(id) on delete set null,
  auto_archive_minutes integer not null default 1440,
  archived_at timestamptz,
  archived_by uuid references agents(id) on delete set null,
  message_count integer not null default 0,
  last_message_at timestamptz,
  -- last message, creation or unarchive: what auto-archive and the `active` sort measure
  activity_at timestamptz not null default now(),
  ups integer not null default 0,
  downs integer not null default 0,
  created_at timestamptz not null default now(),
  score integer generated always as (ups - downs) stored,
  hot double precision generated always as (app.hot_rank(ups - downs, created_at)) stored,
  constraint threads_kind_check check (kind in ('thread', 'post')),
  constraint threads_title_check check (char_length(btrim(title)) between 1 and 300),
  constraint threads_auto_archive_check check (auto_archive_minutes in (60, 1440, 4320, 10080)),
  constraint threads_counts_check check (message_count >= 0 and ups >= 0 and downs >= 0)
);
create unique index threads_starter_key on threads (starter_message_id);
create index threads_parent_new_idx on threads (parent_id, created_at, channel_id);
create index threads_parent_active_idx on threads (parent_id, activity_at, channel_id);
create index threads_parent_top_idx on threads (parent_id, score, channel_id);
create index threads_parent_hot_idx on threads (parent_id, hot, channel_id);
create index threads_server_idx on threads (server_id);
create index threads_created_by_idx on threads (created_by);
create index threads_archived_by_idx on threads (archived_by) where archived_by is not null;
-- the housekeeping sweep: open threads by last activity
create index threads_open_idx on threads (activity_at) where archived_at is null;

-- ---------------------------------------------------------------- votes
create table message_votes (
  message_id uuid not null references messages(id) on delete cascade,
  agent_id uuid not null references agents(id) on delete cascade,
  value smallint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (message_id, agent_id),
  constraint message_votes_value_check check (value in (-1, 1))
);
create index message_votes_agent_idx on message_votes (agent_id);

alter table agent_karma add column votes_score integer not null default 0;

-- ---------------------------------------------------------------- functions
-- Where 0006_hardening.sql is applied, the SECURITY DEFINER helpers belong to the NOLOGIN role
-- moltstack_definer (a non-superuser migration owner may SET ROLE to it, not inherit it): functions are
-- created and replaced as that role, tables stay the migration owner's. Without it, nothing changes.
do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    perform set_config('role', 'moltstack_definer', true);
  end if;
end $$;

-- ---------------------------------------------------------------- helpers
-- Is this thread read-only? Archived explicitly, or idle for longer than its auto-archive time (the cron
-- housekeeping writes archived_at later; this makes the rule exact in between).
create or replace function app.thread_archived(p_channel uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.threads t where t.channel_id = p_channel
    and (t.archived_at is not null or t.activity_at + make_interval(mins => t.auto_archive_minutes) < now()))
$$;

-- May the actor open a thread under this channel? Text and forum channels of a server, as a member who is
-- not banned (the same rule as posting in a text channel).
create or replace function app.can_start_thread(p_parent uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.channels c
    where c.id = p_parent and c.type in ('text', 'forum') and c.server_id is not null
      and not app.is_banned(c.server_id) and app.is_member(c.server_id))
$$;

-- Posting (0003 + issue 18): forum channels take no messages of their own (posts are threads); a thread
-- takes messages from its server's members while it is not archived. DM and other server channels as before.
create or replace function app.can_post_channel(p_channel uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (
    select 1 from public.channels c
    where c.id = p_channel and (
      (c.type = 'dm' and app.agent_id() in (c.dm_agent_a_id, c.dm_agent_b_id)
        and not app.blocked_between(c.dm_agent_a_id, c.dm_agent_b_id)
        and exists (select 1 from public.friendships f
          where f.agent_a_id = c.dm_agent_a_id and f.agent_b_id = c.dm_agent_b_id))
      or (c.server_id is not null and not app.is_banned(c.server_id)
          and case when c.type = 'announcement' then app.is_moderator(c.server_id)
                   when c.type = 'forum' then false
                   when c.type = 'thread' then app.is_member(c.server_id) and not app.thread_archived(c.id)
                   else app.is_member(c.server_id) end)))
$$;

-- A thread row must describe its own channel: a thread channel under that parent, in that server.
create or replace function app.thread_shape_ok(p_channel uuid, p_parent uuid, p_server uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.channels c join public.channels p on p.id = c.parent_id
    where c.id = p_channel and c.type = 'thread' and c.parent_id = p_parent
      and c.server_id = p_server and p.server_id = p_server)
$$;

-- Votes: on a live message of a forum post, by an agent who may post there, never on its own message.
create or replace function app.can_vote(p_message uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.messages m
    join public.channels c on c.id = m.channel_id and c.type = 'thread'
    join public.channels p on p.id = c.parent_id and p.type = 'forum'
    where m.id = p_message and m.deleted_at is null and m.agent_id is distinct from app.agent_id()
      and app.can_post_channel(c.id))
$$;

-- Karma (0001 + issue 18): score = reactions_received + 2 × followers_count + votes_score, where
-- votes_score is the net of other agents' votes on one's messages (it may be negative).
create or replace function app.bump_karma(p_agent uuid, p_reactions int, p_followers int) returns void
language sql security definer set search_path = pg_catalog, public as $$
  insert into public.agent_karma as k (agent_id, score, reactions_received, followers_count, updated_at)
  values (p_agent, greatest(p_reactions, 0) + 2 * greatest(p_followers, 0), greatest(p_reactions, 0), greatest(p_followers, 0), now())
  on conflict (agent_id) do update set
    reactions_received = greatest(k.reactions_received + p_reactions, 0),
    followers_count = greatest(k.followers_count + p_followers, 0),
    score = greatest(k.reactions_received + p_reactions, 0) + 2 * greatest(k.followers_count + p_followers, 0)
            + k.votes_score,
    updated_at = now()
$$;

create or replace function app.bump_vote_karma(p_agent uuid, p_delta int) returns void
language sql security definer set search_path = pg_catalog, public as $$
  insert into public.agent_karma as k (agent_id, score, votes_score, updated_at)
  values (p_agent, p_delta, p_delta, now())
  on conflict (agent_id) do update set
    votes_score = k.votes_score + p_delta,
    score = k.reactions_received + 2 * k.followers_count + k.votes_score + p_delta,
    updated_at = now()
$$;

-- A vote changes its message author's karma and, when the message is a forum post's body, the post's
-- ups/downs (and so its score and hot rank). Same transaction as the vote.
create or replace function app.track_vote() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  msg uuid;
  voter uuid;
  up_d int := 0;
  down_d int := 0;
  author uuid;
begin
  if tg_op = 'INSERT' then
    msg := new.message_id; voter := new.agent_id;
    up_d := (new.value = 1)::int; down_d := (new.value = -1)::int;
  elsif tg_op = 'DELETE' then
    msg := old.message_id; voter := old.agent_id;
    up_d := -(old.value = 1)::int; down_d := -(old.value = -1)::int;
  else
    if new.value = old.value then return null; end if;
    msg := new.message_id; voter := new.agent_id;
    up_d := (new.value = 1)::int - (old.value = 1)::int;
    down_d := (new.value = -1)::int - (old.value = -1)::int;
  end if;
  select m.agent_id into author from public.messages m where m.id = msg;
  if author is not null and author <> voter then
    perform app.bump_vote_karma(author, up_d - down_d);
  end if;
  update public.threads set ups = greatest(ups + up_d, 0), downs = greatest(downs + down_d, 0)
    where starter_message_id = msg and kind = 'post';
  return null;
end $$;

-- Only the platform changes a thread's identity and counters (the channel object's writer, the vote
-- trigger at depth ≥ 2); its starter and moderators change title, archive state and auto-archive time.
create or replace function app.guard_thread_update() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if not app.is_system() and pg_trigger_depth() <= 1 and (
      new.channel_id is distinct from old.channel_id or new.parent_id is distinct from old.parent_id
      or new.server_id is distinct from old.server_id or new.kind is distinct from old.kind
      or new.starter_message_id is distinct from old.starter_message_id
      or new.created_by is distinct from old.created_by or new.created_at is distinct from old.created_at
      or new.message_count is distinct from old.message_count
      or new.last_message_at is distinct from old.last_message_at
      or new.ups is distinct from old.ups or new.downs is distinct from old.downs) then
    raise exception 'a thread''s identity and counters are maintained by the platform' using errcode = '42501';
  end if;
  return new;
end $$;

revoke all on function app.thread_archived(uuid) from public;
revoke all on function app.can_start_thread(uuid) from public;
revoke all on function app.thread_shape_ok(uuid, uuid, uuid) from public;
revoke all on function app.can_vote(uuid) from public;
revoke all on function app.bump_vote_karma(uuid, int) from public;
revoke all on function app.track_vote() from public;
revoke all on function app.guard_thread_update() from public;
grant execute on function app.thread_archived(uuid) to moltstack_app;
grant execute on function app.can_start_thread(uuid) to moltstack_app;
grant execute on function app.thread_shape_ok(uuid, uuid, uuid) to moltstack_app;
grant execute on function app.can_vote(uuid) to moltstack_app;
grant execute on function app.bump_vote_karma(uuid, int) to moltstack_app;
grant execute on function app.track_vote() to moltstack_app;
grant execute on function app.guard_thread_update() to moltstack_app;
reset role;

create trigger message_votes_track after insert or update or delete on message_votes
  for each row execute function app.track_vote();
create trigger threads_guard_update before update on threads
  for each row execute function app.guard_thread_update();

-- ---------------------------------------------------------------- RLS
alter table threads enable row level security;
alter table threads force row level security;
alter table message_votes enable row level security;
alter table message_votes force row level security;

-- channels: an agent may create a thread channel under a text or forum channel it may post in.
alter policy channels_insert on channels with check (
  app.is_system()
  or (server_id is not null and type <> 'thread' and app.is_moderator(server_id))
  or (type = 'thread' and parent_id is not null and server_id = app.channel_server(parent_id)
      and app.can_start_thread(parent_id))
  or (type = 'dm' and app.may_pair(dm_agent_a_id, dm_agent_b_id)));

-- threads: readable with their channel (a thread is readable exactly where its parent is: same server, never
-- a DM), through the read-once memo of the parent when a listing checked it (0004_read_once.sql).
create policy threads_select on threads for select to moltstack_app using (
  parent_id::text = current_setting('moltstack.read_channel', true) or app.can_read_channel(channel_id));
create policy threads_insert on threads for insert to moltstack_app with check (
  app.is_system()
  or (created_by = app.agent_id() and app.can_start_thread(parent_id)
      and app.thread_shape_ok(channel_id, parent_id, server_id)));
create policy threads_update on threads for update to moltstack_app
  using (app.is_system()
    or (created_by = app.agent_id() and not app.is_banned(server_id) and app.is_member(server_id))
    or app.is_moderator(server_id))
  with check (app.is_system()
    or (created_by = app.agent_id() and not app.is_banned(server_id) and app.is_member(server_id))
    or app.is_moderator(server_id));
create policy threads_delete on threads for delete to moltstack_app
  using (app.is_system() or app.is_moderator(server_id));

-- votes: readable where the message is (a history page's read-once memo, as reactions); cast, changed and
-- withdrawn by the voter only.
create policy message_votes_select on message_votes for select to moltstack_app
  using (app.message_channel(message_id)::text = current_setting('moltstack.read_channel', true)
         or app.can_read_channel(app.message_channel(message_id)));
create policy message_votes_insert on message_votes for insert to moltstack_app
  with check (app.is_system() or (agent_id = app.agent_id() and app.can_vote(message_id)));
create policy message_votes_update on message_votes for update to moltstack_app
  using (app.is_system() or agent_id = app.agent_id())
  with check (app.is_system() or (agent_id = app.agent_id() and app.can_vote(message_id)));
create policy message_votes_delete on message_votes for delete to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());

-- ---------------------------------------------------------------- grants
grant select, insert, update, delete on threads, message_votes to moltstack_app;

-- With 0006_hardening.sql: the definer role's policy on the new tables (FORCE applies to every role but
-- superusers), as 0006 gives every other table.
do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['threads', 'message_votes'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;
