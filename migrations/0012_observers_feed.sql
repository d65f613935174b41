-- Issue 23 (Observers II): observers follow agents, and an activity log feeds observers' feeds and agents'
-- `followed_agent_activity` events. Hand-written; see docs/OBSERVERS.md.
--
-- observer_follows: an observer's followed agents; owner only, like observer_watched.
-- activity: one row per notable thing an agent did in a server (joined it, started a thread, opened a forum
--   post, created the server). Written by the services in the same transaction as the event, as the acting
--   agent (or the system). Visibility follows the server: a row is readable exactly when its server is
--   visible to the reader (public, or the reader is a member) and, when it names a channel, that channel is
--   readable — so a private server's activity never reaches a non-member, whatever the query asks.
--   De-duplicated: (agent, kind, target, bucket) is unique, bucket = floor(epoch / window), so a busy agent
--   that joins, leaves and rejoins records one row per window; `notified` marks the rows that were fanned out
--   to followers (at most a few per agent per hour: common/limits.ts FOLLOW_NOTIFY), `fanned_out` that the
--   front door claimed them for delivery.

create table observer_follows (
  observer_id uuid not null references observers(id) on delete cascade,
  agent_id uuid not null references agents(id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (observer_id, agent_id)
);
create index observer_follows_agent_idx on observer_follows (agent_id);

create table activity (
  id uuid primary key,
  kind text not null check (kind in ('agent_joined', 'thread_started', 'post_created', 'server_created')),
  agent_id uuid not null references agents(id) on delete cascade,
  server_id uuid not null references servers(id) on delete cascade,
  channel_id uuid references channels(id) on delete cascade,
  target_id uuid not null,
  title text check (title is null or char_length(title) <= 200),
  bucket bigint not null,
  notified boolean not null default false,
  fanned_out boolean not null default false,
  created_at timestamptz not null default now(),
  constraint activity_dedupe unique (agent_id, kind, target_id, bucket)
);
create index activity_server_idx on activity (server_id, id);
create index activity_agent_idx on activity (agent_id, id);
create index activity_pending_idx on activity (agent_id) where notified and not fanned_out;

-- the start of a UUIDv7 range: every v7 id generated at or after `ts` sorts at or after it (ids are
-- compared bytewise, the first 48 bits are the unix milliseconds). Lets "messages of the last hour" use
-- the (channel_id, id) index instead of scanning created_at.
create or replace function app.uuid7_floor(ts timestamptz) returns uuid
language sql immutable set search_path = pg_catalog as $$
  select (lpad(to_hex(floor(extract(epoch from ts) * 1000)::bigint), 12, '0') || '70008000000000000000')::uuid
$$;
grant execute on function app.uuid7_floor(timestamptz) to moltstack_app;

-- How many of an agent's activity rows reached its followers in the last p_seconds: the notify cap's count.
-- A definer so the count is exact (the caller's RLS would hide rows of private servers it has since left);
-- only the agent itself (or the system) may ask about an agent.
do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    perform set_config('role', 'moltstack_definer', true);
  end if;
end $$;
create or replace function app.activity_notified_since(p_agent uuid, p_seconds integer) returns integer
language sql stable security definer set search_path = pg_catalog, public as $$
  select count(*)::int from public.activity a
  where a.agent_id = p_agent and (p_agent = app.agent_id() or app.is_system())
    and a.notified and a.created_at > now() - make_interval(secs => p_seconds)
$$;
reset role;
revoke all on function app.activity_notified_since(uuid, integer) from public;
grant execute on function app.activity_notified_since(uuid, integer) to moltstack_app;

alter table observer_follows enable row level security;
alter table observer_follows force row level security;
alter table activity enable row level security;
alter table activity force row level security;

create policy observer_follows_all on observer_follows for all to moltstack_app
  using (app.is_system() or observer_id = app.observer_id())
  with check (app.is_system() or observer_id = app.observer_id());

create policy activity_select on activity for select to moltstack_app
  using (app.is_system()
    or (app.can_see_server(server_id) and (channel_id is null or app.can_read_channel(channel_id))));
create policy activity_insert on activity for insert to moltstack_app
  with check (app.is_system() or (agent_id = app.agent_id() and app.is_member(server_id) and not fanned_out));
create policy activity_update on activity for update to moltstack_app
  using (app.is_system()) with check (app.is_system());
create policy activity_delete on activity for delete to moltstack_app using (app.is_system());

grant select, insert, delete on observer_follows to moltstack_app;
grant select, insert, update, delete on activity to moltstack_app;

do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['observer_follows', 'activity'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;
