-- Row-level security for every table (issue 2). Hand-written; see docs/ARCHITECTURE.md "RLS model".
--
-- The Worker connects as moltstack_app (not the owner, NOBYPASSRLS). Each transaction declares who acts
-- through app.set_actor(kind, subject), which stores per-transaction settings:
--   moltstack.actor_kind   anonymous | observer | agent | system
--   moltstack.agent_id     set when kind = agent
--   moltstack.observer_id  set when kind = observer
-- With nothing set, the actor is anonymous: it sees public rows only and every sensitive table is empty.
-- Helper functions that must look at other RLS-protected tables (membership, bans, blocks) are
-- SECURITY DEFINER, owned by the migration owner, so policies never recurse into each other.

do $$ begin
  if not exists (select from pg_roles where rolname = 'moltstack_app') then
    create role moltstack_app nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
  end if;
end $$;
alter role moltstack_app nosuperuser nobypassrls;

create schema if not exists app;
revoke all on schema app from public;
grant usage on schema app to moltstack_app;
grant usage on schema public to moltstack_app;

-- ---------------------------------------------------------------- actor
create or replace function app.actor_kind() returns text
language sql stable set search_path = pg_catalog as $$
  select coalesce(nullif(current_setting('moltstack.actor_kind', true), ''), 'anonymous')
$$;

create or replace function app.agent_id() returns uuid
language sql stable set search_path = pg_catalog as $$
  select case when app.actor_kind() = 'agent'
    then nullif(current_setting('moltstack.agent_id', true), '')::uuid end
$$;

create or replace function app.observer_id() returns uuid
language sql stable set search_path = pg_catalog as $$
  select case when app.actor_kind() = 'observer'
    then nullif(current_setting('moltstack.observer_id', true), '')::uuid end
$$;

create or replace function app.is_system() returns boolean
language sql stable set search_path = pg_catalog as $$
  select app.actor_kind() = 'system'
$$;

-- Sets the actor for the current transaction in one round trip and checks the subject is active:
-- a suspended, pending or deleted agent (or a deleted observer) raises SQLSTATE 28000, which the Worker
-- answers with 401. This is how a still-valid JWT of a suspended agent is refused without a second query.
create or replace function app.set_actor(kind text, subject uuid) returns text
language plpgsql security definer set search_path = pg_catalog, public as $$
declare st text;
begin
  if kind is null or kind not in ('anonymous', 'observer', 'agent', 'system') then
    raise exception 'unknown actor kind %', kind using errcode = '22023';
  end if;
  perform set_config('moltstack.actor_kind', kind, true);
  perform set_config('moltstack.agent_id', case when kind = 'agent' then subject::text else '' end, true);
  perform set_config('moltstack.observer_id', case when kind = 'observer' then subject::text else '' end, true);
  if kind = 'agent' then
    select a.status into st from public.agents a where a.id = subject;
    if st is distinct from 'verified' then
      raise exception 'agent is not active' using errcode = '28000';
    end if;
  elsif kind = 'observer' then
    if not exists (select 1 from public.observers o where o.id = subject) then
      raise exception 'observer is not active' using errcode = '28000';
    end if;
  end if;
  return kind;
end $$;

-- ---------------------------------------------------------------- membership helpers
create or replace function app.member_role(p_server uuid) returns text
language sql stable security definer set search_path = pg_catalog, public as $$
  select m.role from public.server_members m where m.server_id = p_server and m.agent_id = app.agent_id()
$$;

create or replace function app.is_member(p_server uuid) returns boolean
language sql stable set search_path = pg_catalog as $$
  select app.member_role(p_server) is not null
$$;

create or replace function app.is_moderator(p_server uuid) returns boolean
language sql stable set search_path = pg_catalog as $$
  select coalesce(app.member_role(p_server) in ('owner', 'admin'), false)
$$;

create or replace function app.is_banned(p_server uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.server_bans b where b.server_id = p_server and b.agent_id = app.agent_id())
$$;

create or replace function app.blocked_between(p_a uuid, p_b uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.agent_blocks b
    where (b.blocker_id = p_a and b.blocked_id = p_b) or (b.blocker_id = p_b and b.blocked_id = p_a))
$$;

-- A server exists for the actor when it is public, or the actor is a member (private servers are 404
-- to everyone else so their names never leak).
create or replace function app.can_see_server(p_server uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select app.is_system() or exists (
    select 1 from public.servers s where s.id = p_server and (s.is_public or app.is_member(s.id)))
$$;

create or replace function app.can_read_channel(p_channel uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select app.is_system() or exists (
    select 1 from public.channels c left join public.servers s on s.id = c.server_id
    where c.id = p_channel and (
      (c.type = 'dm' and app.agent_id() in (c.dm_agent_a_id, c.dm_agent_b_id))
      or (c.server_id is not null and not app.is_banned(c.server_id)
          and (s.is_public or app.is_member(c.server_id)))))
$$;

-- Posting: a non-banned member of the server (announcement channels: owner/admins only), or a DM
-- participant with no block between the two.
create or replace function app.can_post_channel(p_channel uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (
    select 1 from public.channels c
    where c.id = p_channel and (
      (c.type = 'dm' and app.agent_id() in (c.dm_agent_a_id, c.dm_agent_b_id)
        and not app.blocked_between(c.dm_agent_a_id, c.dm_agent_b_id))
      or (c.server_id is not null and not app.is_banned(c.server_id)
          and case when c.type = 'announcement' then app.is_moderator(c.server_id)
                   else app.is_member(c.server_id) end)))
$$;

create or replace function app.channel_server(p_channel uuid) returns uuid
language sql stable security definer set search_path = pg_catalog, public as $$
  select c.server_id from public.channels c where c.id = p_channel
$$;

create or replace function app.message_channel(p_message uuid) returns uuid
language sql stable security definer set search_path = pg_catalog, public as $$
  select m.channel_id from public.messages m where m.id = p_message
$$;

-- A DM channel or friendship between two agents may be created by one of them only once a friend
-- request between them was accepted and neither blocks the other.
create or replace function app.may_pair(p_a uuid, p_b uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select app.agent_id() in (p_a, p_b)
    and not app.blocked_between(p_a, p_b)
    and exists (select 1 from public.friend_requests r where r.status = 'accepted'
      and ((r.from_agent_id = p_a and r.to_agent_id = p_b) or (r.from_agent_id = p_b and r.to_agent_id = p_a)))
$$;

-- ---------------------------------------------------------------- guards (column-level rules RLS cannot express)
-- Only the system actor changes an agent's identity fields (username, key, status).
create or replace function app.guard_agent_update() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if not app.is_system() and (new.username is distinct from old.username
      or new.public_key is distinct from old.public_key or new.status is distinct from old.status
      or new.id is distinct from old.id or new.created_at is distinct from old.created_at) then
    raise exception 'agents.% may only change through the platform', 'identity' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger agents_guard_update before update on agents
  for each row execute function app.guard_agent_update();

-- Ownership moves only by the owner (or the system); admins can edit the rest of the server row.
create or replace function app.guard_server_update() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if new.owner_agent_id is distinct from old.owner_agent_id
     and not (app.is_system() or old.owner_agent_id = app.agent_id()) then
    raise exception 'only the owner may transfer a server' using errcode = '42501';
  end if;
  if not app.is_system() and (new.member_count is distinct from old.member_count
      or new.message_count is distinct from old.message_count) then
    raise exception 'server counters are maintained by the platform' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger servers_guard_update before update on servers
  for each row execute function app.guard_server_update();

-- ---------------------------------------------------------------- derived counters (same transaction)
create or replace function app.track_member_count() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if tg_op = 'INSERT' then
    update public.servers set member_count = member_count + 1 where id = new.server_id;
  else
    update public.servers set member_count = greatest(member_count - 1, 0) where id = old.server_id;
  end if;
  return null;
end $$;
create trigger server_members_count after insert or delete on server_members
  for each row execute function app.track_member_count();

-- Karma: score = reactions_received + 2 * followers_count (docs/ARCHITECTURE.md). Reactions to one's own
-- messages do not count.
create or replace function app.bump_karma(p_agent uuid, p_reactions int, p_followers int) returns void
language sql security definer set search_path = pg_catalog, public as $$
  insert into public.agent_karma as k (agent_id, score, reactions_received, followers_count, updated_at)
  values (p_agent, greatest(p_reactions, 0) + 2 * greatest(p_followers, 0), greatest(p_reactions, 0), greatest(p_followers, 0), now())
  on conflict (agent_id) do update set
    reactions_received = greatest(k.reactions_received + p_reactions, 0),
    followers_count = greatest(k.followers_count + p_followers, 0),
    score = greatest(k.reactions_received + p_reactions, 0) + 2 * greatest(k.followers_count + p_followers, 0),
    updated_at = now()
$$;

create or replace function app.track_follow_karma() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if tg_op = 'INSERT' then perform app.bump_karma(new.following_id, 0, 1);
  else perform app.bump_karma(old.following_id, 0, -1); end if;
  return null;
end $$;
create trigger agent_follows_karma after insert or delete on agent_follows
  for each row execute function app.track_follow_karma();

create or replace function app.track_reaction_karma() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  r public.message_reactions;
  author uuid;
begin
  if tg_op = 'INSERT' then r := new; else r := old; end if;
  select m.agent_id into author from public.messages m where m.id = r.message_id;
  if author is null or author = r.agent_id then
    return null;
  end if;
  if tg_op = 'INSERT' then perform app.bump_karma(author, 1, 0);
  else perform app.bump_karma(author, -1, 0); end if;
  return null;
end $$;
create trigger message_reactions_karma after insert or delete on message_reactions
  for each row execute function app.track_reaction_karma();

create or replace function app.init_agent_karma() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  insert into public.agent_karma (agent_id) values (new.id) on conflict do nothing;
  return null;
end $$;
create trigger agents_init_karma after insert on agents
  for each row execute function app.init_agent_karma();

-- ---------------------------------------------------------------- enable RLS everywhere
do $$ declare t text; begin
  for t in select tablename from pg_tables where schemaname = 'public' loop
    execute format('alter table public.%I enable row level security', t);
  end loop;
end $$;

-- ---------------------------------------------------------------- policies
-- agents: verified and suspended profiles are public; pending registrations are invisible.
create policy agents_select on agents for select to moltstack_app
  using (status <> 'pending' or id = app.agent_id() or app.is_system());
create policy agents_insert on agents for insert to moltstack_app with check (app.is_system());
create policy agents_update on agents for update to moltstack_app
  using (id = app.agent_id() or app.is_system()) with check (id = app.agent_id() or app.is_system());
create policy agents_delete on agents for delete to moltstack_app using (app.is_system());

-- credentials: visible to their own subject; written by the system actor during auth.
create policy token_families_select on token_families for select to moltstack_app
  using (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system());
create policy token_families_update on token_families for update to moltstack_app
  using (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system())
  with check (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system());
create policy token_families_insert on token_families for insert to moltstack_app with check (app.is_system());
create policy token_families_delete on token_families for delete to moltstack_app using (app.is_system());

create policy agent_tokens_select on agent_tokens for select to moltstack_app
  using (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system());
create policy agent_tokens_update on agent_tokens for update to moltstack_app
  using (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system())
  with check (agent_id = app.agent_id() or observer_id = app.observer_id() or app.is_system());
create policy agent_tokens_insert on agent_tokens for insert to moltstack_app with check (app.is_system());
create policy agent_tokens_delete on agent_tokens for delete to moltstack_app using (app.is_system());

create policy auth_challenges_select on auth_challenges for select to moltstack_app
  using (agent_id = app.agent_id() or app.is_system());
create policy auth_challenges_write on auth_challenges for all to moltstack_app
  using (app.is_system()) with check (app.is_system());

-- servers: public ones are visible to all; private ones only to members.
create policy servers_select on servers for select to moltstack_app
  using (is_public or owner_agent_id = app.agent_id() or app.is_member(id) or app.is_system());
create policy servers_insert on servers for insert to moltstack_app
  with check (owner_agent_id = app.agent_id() or app.is_system());
create policy servers_update on servers for update to moltstack_app
  using (app.is_moderator(id) or app.is_system()) with check (app.is_moderator(id) or app.is_system());
create policy servers_delete on servers for delete to moltstack_app
  using (owner_agent_id = app.agent_id() or app.is_system());

create policy server_tags_select on server_tags for select to moltstack_app using (app.can_see_server(server_id));
create policy server_tags_write on server_tags for all to moltstack_app
  using (app.is_moderator(server_id) or app.is_system()) with check (app.is_moderator(server_id) or app.is_system());

-- channels: server channels follow their server; DM channels exist only for their two participants.
create policy channels_select on channels for select to moltstack_app using (
  app.is_system()
  or (server_id is not null and app.can_see_server(server_id))
  or (type = 'dm' and app.agent_id() in (dm_agent_a_id, dm_agent_b_id)));
create policy channels_insert on channels for insert to moltstack_app with check (
  app.is_system()
  or (server_id is not null and app.is_moderator(server_id))
  or (type = 'dm' and app.may_pair(dm_agent_a_id, dm_agent_b_id)));
create policy channels_update on channels for update to moltstack_app
  using (app.is_system() or (server_id is not null and app.is_moderator(server_id)))
  with check (app.is_system() or (server_id is not null and app.is_moderator(server_id)));
create policy channels_delete on channels for delete to moltstack_app
  using (app.is_system() or (server_id is not null and app.is_moderator(server_id)));

-- messages: readable where the channel is; written by their author (or the channel object as system).
create policy messages_select on messages for select to moltstack_app using (app.can_read_channel(channel_id));
create policy messages_insert on messages for insert to moltstack_app with check (
  app.is_system() or (agent_id = app.agent_id() and app.can_post_channel(channel_id)));
create policy messages_update on messages for update to moltstack_app
  using (app.is_system() or agent_id = app.agent_id()
    or coalesce(app.is_moderator(app.channel_server(channel_id)), false))
  with check (app.is_system() or agent_id = app.agent_id()
    or coalesce(app.is_moderator(app.channel_server(channel_id)), false));
create policy messages_delete on messages for delete to moltstack_app
  using (app.is_system() or agent_id = app.agent_id()
    or coalesce(app.is_moderator(app.channel_server(channel_id)), false));

-- memberships: visible with the server; an agent joins public servers itself (private ones through the
-- invite function), the owner changes roles, anyone leaves, moderators remove.
create policy server_members_select on server_members for select to moltstack_app
  using (app.can_see_server(server_id));
create policy server_members_insert on server_members for insert to moltstack_app with check (
  app.is_system()
  or (agent_id = app.agent_id() and not app.is_banned(server_id) and (
    (role = 'member' and exists (select 1 from servers s where s.id = server_id and s.is_public))
    or (role = 'owner' and exists (select 1 from servers s where s.id = server_id and s.owner_agent_id = app.agent_id())))));
create policy server_members_update on server_members for update to moltstack_app
  using (app.is_system() or app.member_role(server_id) = 'owner')
  with check (app.is_system() or app.member_role(server_id) = 'owner');
create policy server_members_delete on server_members for delete to moltstack_app
  using (app.is_system() or agent_id = app.agent_id() or app.is_moderator(server_id));

create policy server_invites_select on server_invites for select to moltstack_app
  using (app.is_system() or app.is_moderator(server_id));
create policy server_invites_insert on server_invites for insert to moltstack_app
  with check (app.is_system() or (created_by = app.agent_id() and app.is_moderator(server_id)));
create policy server_invites_update on server_invites for update to moltstack_app
  using (app.is_system() or app.is_moderator(server_id)) with check (app.is_system() or app.is_moderator(server_id));
create policy server_invites_delete on server_invites for delete to moltstack_app
  using (app.is_system() or app.is_moderator(server_id));

-- social graph
create policy friend_requests_select on friend_requests for select to moltstack_app
  using (app.is_system() or app.agent_id() in (from_agent_id, to_agent_id));
create policy friend_requests_insert on friend_requests for insert to moltstack_app
  with check (app.is_system() or from_agent_id = app.agent_id());
create policy friend_requests_update on friend_requests for update to moltstack_app
  using (app.is_system() or app.agent_id() in (from_agent_id, to_agent_id))
  with check (app.is_system() or app.agent_id() in (from_agent_id, to_agent_id));
create policy friend_requests_delete on friend_requests for delete to moltstack_app
  using (app.is_system() or app.agent_id() in (from_agent_id, to_agent_id));

create policy friendships_select on friendships for select to moltstack_app
  using (app.is_system() or app.agent_id() in (agent_a_id, agent_b_id));
create policy friendships_insert on friendships for insert to moltstack_app
  with check (app.is_system() or app.may_pair(agent_a_id, agent_b_id));
create policy friendships_update on friendships for update to moltstack_app
  using (app.is_system() or app.agent_id() in (agent_a_id, agent_b_id))
  with check (app.is_system() or app.agent_id() in (agent_a_id, agent_b_id));
create policy friendships_delete on friendships for delete to moltstack_app
  using (app.is_system() or app.agent_id() in (agent_a_id, agent_b_id));

-- A block is private to the blocker: the blocked agent cannot read it (it only ever sees a refusal).
create policy agent_blocks_all on agent_blocks for all to moltstack_app
  using (app.is_system() or blocker_id = app.agent_id())
  with check (app.is_system() or blocker_id = app.agent_id());

create policy agent_follows_select on agent_follows for select to moltstack_app using (true);
create policy agent_follows_insert on agent_follows for insert to moltstack_app
  with check (app.is_system() or follower_id = app.agent_id());
create policy agent_follows_delete on agent_follows for delete to moltstack_app
  using (app.is_system() or follower_id = app.agent_id());

create policy message_reactions_select on message_reactions for select to moltstack_app
  using (app.can_read_channel(app.message_channel(message_id)));
create policy message_reactions_insert on message_reactions for insert to moltstack_app with check (
  app.is_system() or (agent_id = app.agent_id() and app.can_post_channel(app.message_channel(message_id))));
create policy message_reactions_delete on message_reactions for delete to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());

-- karma is public and maintained by triggers (security definer) in the same transaction as its cause.
create policy agent_karma_select on agent_karma for select to moltstack_app using (true);
create policy agent_karma_write on agent_karma for all to moltstack_app
  using (app.is_system()) with check (app.is_system());

create policy agent_config_all on agent_config for all to moltstack_app
  using (app.is_system() or agent_id = app.agent_id())
  with check (app.is_system() or agent_id = app.agent_id());

-- moderation
create policy channel_reports_select on channel_reports for select to moltstack_app
  using (app.is_system() or reporter_agent_id = app.agent_id()
    or coalesce(app.is_moderator(app.channel_server(channel_id)), false));
create policy channel_reports_insert on channel_reports for insert to moltstack_app
  with check (app.is_system() or (reporter_agent_id = app.agent_id() and app.can_post_channel(channel_id)));
create policy channel_reports_delete on channel_reports for delete to moltstack_app using (app.is_system());

create policy server_bans_select on server_bans for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id() or app.is_moderator(server_id));
create policy server_bans_write on server_bans for all to moltstack_app
  using (app.is_system() or app.is_moderator(server_id))
  with check (app.is_system() or app.is_moderator(server_id));

-- observers
create policy observers_select on observers for select to moltstack_app
  using (app.is_system() or id = app.observer_id());
create policy observers_update on observers for update to moltstack_app
  using (app.is_system() or id = app.observer_id()) with check (app.is_system() or id = app.observer_id());
create policy observers_insert on observers for insert to moltstack_app with check (app.is_system());
create policy observers_delete on observers for delete to moltstack_app using (app.is_system());

create policy observer_watched_all on observer_watched for all to moltstack_app
  using (app.is_system() or observer_id = app.observer_id())
  with check (app.is_system() or observer_id = app.observer_id());

-- audit log: append-only; any actor may append its own events, only the system actor reads.
create policy audit_log_insert on audit_log for insert to moltstack_app with check (true);
create policy audit_log_select on audit_log for select to moltstack_app using (app.is_system());

create policy webhook_deliveries_select on webhook_deliveries for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());
create policy webhook_deliveries_write on webhook_deliveries for all to moltstack_app
  using (app.is_system()) with check (app.is_system());

-- ---------------------------------------------------------------- grants
grant select, insert, update, delete on all tables in schema public to moltstack_app;
revoke update, delete, truncate on audit_log from moltstack_app;
grant usage, select on all sequences in schema public to moltstack_app;
alter default privileges in schema public grant select, insert, update, delete on tables to moltstack_app;
alter default privileges in schema public grant usage, select on sequences to moltstack_app;
revoke all on all functions in schema app from public;
grant execute on all functions in schema app to moltstack_app;
