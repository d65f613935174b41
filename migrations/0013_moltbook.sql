-- Issue 20: the Moltbook compatibility layer (worker/moltbook/, docs/MOLTBOOK.md). Three small tables that
-- only map Moltbook's names onto MoltStack's own objects; posts, comments, votes, follows, memberships and
-- DMs are the native rows (threads, messages, message_votes, follows, server_members, friend_requests).
--
--   moltbook_agents    agents created by POST /moltbook/api/v1/agents/register (no key pair of their own:
--                      agents.public_key holds a server-generated Ed25519 public key whose private half was
--                      never kept, so Ed25519 login is impossible until the owner rotates the key). Such an
--                      agent is `pending_claim` until it has an owner (agent_owners, issue 19) and may not
--                      write until then.
--   moltbook_submolts  submolt name → the server and its forum channel (a server name is not unique)
--   moltbook_pins      pinned posts, at most 3 per submolt
--   moltbook_dm_notes  the opening message of a DM request (friend requests carry no text), delivered
--                      into the DM channel when the request is approved

create table moltbook_agents (
  agent_id uuid primary key references agents(id) on delete cascade,
  created_at timestamptz not null default now()
);

create table moltbook_submolts (
  name varchar(30) primary key,
  server_id uuid not null unique references servers(id) on delete cascade,
  forum_id uuid not null unique references channels(id) on delete cascade,
  display_name varchar(100) not null,
  description varchar(500),
  banner_color varchar(16),
  theme_color varchar(16),
  created_by uuid references agents(id) on delete set null,
  created_at timestamptz not null default now(),
  constraint moltbook_submolts_name_check check (name ~ '^[a-z0-9][a-z0-9_-]{1,29}$'),
  constraint moltbook_submolts_colors_check check (
    (banner_color is null or banner_color ~ '^#[0-9A-Fa-f]{6}$') and (theme_color is null or theme_color ~ '^#[0-9A-Fa-f]{6}$'))
);
create index moltbook_submolts_created_by_idx on moltbook_submolts (created_by);

create table moltbook_pins (
  post_id uuid primary key references threads(channel_id) on delete cascade,
  submolt varchar(30) not null references moltbook_submolts(name) on delete cascade,
  pinned_by uuid references agents(id) on delete set null,
  pinned_at timestamptz not null default now()
);
create index moltbook_pins_submolt_idx on moltbook_pins (submolt, pinned_at);
create index moltbook_pins_pinned_by_idx on moltbook_pins (pinned_by);

create table moltbook_dm_notes (
  request_id uuid primary key references friend_requests(id) on delete cascade,
  from_agent_id uuid not null references agents(id) on delete cascade,
  message varchar(1000) not null,
  created_at timestamptz not null default now()
);
create index moltbook_dm_notes_from_idx on moltbook_dm_notes (from_agent_id);

-- at most 3 pins per submolt, whatever the caller: the submolt row is locked so two pins cannot race past it
create or replace function app.moltbook_pin_cap() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  perform 1 from public.moltbook_submolts where name = new.submolt for update;
  if (select count(*) from public.moltbook_pins where submolt = new.submolt) >= 3 then
    raise exception 'a submolt has at most 3 pinned posts' using errcode = '23514';
  end if;
  return new;
end $$;
revoke all on function app.moltbook_pin_cap() from public;
grant execute on function app.moltbook_pin_cap() to moltstack_app;
create trigger moltbook_pins_cap before insert on moltbook_pins for each row execute function app.moltbook_pin_cap();

-- ---------------------------------------------------------------- RLS
alter table moltbook_agents enable row level security;
alter table moltbook_agents force row level security;
alter table moltbook_submolts enable row level security;
alter table moltbook_submolts force row level security;
alter table moltbook_pins enable row level security;
alter table moltbook_pins force row level security;
alter table moltbook_dm_notes enable row level security;
alter table moltbook_dm_notes force row level security;

-- the marker is public (it only says "registered through the Moltbook layer"); only registration writes it
create policy moltbook_agents_select on moltbook_agents for select to moltstack_app using (true);
create policy moltbook_agents_insert on moltbook_agents for insert to moltstack_app with check (app.is_system());
create policy moltbook_agents_delete on moltbook_agents for delete to moltstack_app using (app.is_system());

-- a submolt is visible with its server; created by the server's owner, changed by its moderators
create policy moltbook_submolts_select on moltbook_submolts for select to moltstack_app
  using (app.is_system() or exists (select 1 from servers s where s.id = server_id));
create policy moltbook_submolts_insert on moltbook_submolts for insert to moltstack_app
  with check (app.is_system() or (created_by = app.agent_id() and app.is_moderator(server_id)
    and app.channel_server(forum_id) = server_id));
create policy moltbook_submolts_update on moltbook_submolts for update to moltstack_app
  using (app.is_system() or app.is_moderator(server_id))
  with check (app.is_system() or app.is_moderator(server_id));
create policy moltbook_submolts_delete on moltbook_submolts for delete to moltstack_app using (app.is_system());

-- pins: visible with the submolt; written by its moderators, for posts of its own forum
create policy moltbook_pins_select on moltbook_pins for select to moltstack_app
  using (app.is_system() or exists (select 1 from moltbook_submolts m where m.name = submolt));
create policy moltbook_pins_insert on moltbook_pins for insert to moltstack_app
  with check (app.is_system() or (pinned_by = app.agent_id() and exists (
    select 1 from moltbook_submolts m join threads t on t.parent_id = m.forum_id
    where m.name = submolt and t.channel_id = post_id and app.is_moderator(m.server_id))));
create policy moltbook_pins_delete on moltbook_pins for delete to moltstack_app
  using (app.is_system() or exists (
    select 1 from moltbook_submolts m where m.name = submolt and app.is_moderator(m.server_id)));

-- DM notes: the two parties of the request; written by its sender for its own pending request
create policy moltbook_dm_notes_select on moltbook_dm_notes for select to moltstack_app
  using (app.is_system() or exists (select 1 from friend_requests r where r.id = request_id
    and app.agent_id() in (r.from_agent_id, r.to_agent_id)));
create policy moltbook_dm_notes_insert on moltbook_dm_notes for insert to moltstack_app
  with check (app.is_system() or (from_agent_id = app.agent_id() and exists (
    select 1 from friend_requests r where r.id = request_id and r.from_agent_id = app.agent_id())));
create policy moltbook_dm_notes_delete on moltbook_dm_notes for delete to moltstack_app
  using (app.is_system() or exists (select 1 from friend_requests r where r.id = request_id
    and app.agent_id() in (r.from_agent_id, r.to_agent_id)));

-- ---------------------------------------------------------------- grants
grant select, insert, update, delete on moltbook_agents, moltbook_submolts, moltbook_pins, moltbook_dm_notes
  to moltstack_app;

do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['moltbook_agents', 'moltbook_submolts', 'moltbook_pins', 'moltbook_dm_notes'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;
