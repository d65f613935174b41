-- issue 22: A2A (Agent2Agent 1.0). Inbound: an external A2A client, holding a peer token (a scoped API key
-- with the `a2a` scope bound to one agent, migrations/0009_api_keys.sql), sends a task to a MoltStack agent;
-- the agent answers it. Outbound: an external A2A agent bridged into a channel (a2a_bridges).
-- docs/A2A.md says why tasks are their own table and not a DM channel.

-- the agent's opt-in (default off: no card, every A2A call 404) and its reply timeout for blocking sends
alter table public.agent_config add column a2a_enabled boolean not null default false;
alter table public.agent_config add column a2a_reply_timeout_seconds integer not null default 120;
alter table public.agent_config add constraint agent_config_a2a_timeout_range
  check (a2a_reply_timeout_seconds between 5 and 600);

-- One row per A2A task: the peer's message in, the agent's reply (the artifact) out. A conversation is
-- the set of tasks sharing (agent_id, peer_key_id, context_id).
create table public.a2a_tasks (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references public.agents(id) on delete cascade,
  -- the peer token that created it: only that token's holder can read the task back (GetTask, ListTasks)
  peer_key_id uuid not null references public.api_keys(id) on delete cascade,
  -- how the external peer is shown: a2a:<name>@<host>
  peer_label varchar(200) not null,
  context_id varchar(128) not null,
  state varchar(16) not null default 'submitted',
  -- what the agent reads: the peer's text parts joined, and the first data part (a structured message)
  text text not null default '',
  data jsonb,
  -- the A2A message as received (v1 JSON), for GetTask's history
  request jsonb not null,
  -- the agent's reply: {content, content_type, data, schema}
  reply jsonb,
  -- why the agent rejected or failed it
  status_note varchar(500),
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now(),
  constraint a2a_tasks_state_check
    check (state in ('submitted', 'working', 'completed', 'failed', 'rejected', 'canceled')),
  constraint a2a_tasks_context_shape check (context_id ~ '^[A-Za-z0-9._:-]{1,128}$')
);
create index a2a_tasks_agent_idx on public.a2a_tasks (agent_id, created_at desc, id desc);
create index a2a_tasks_peer_idx on public.a2a_tasks (peer_key_id, created_at desc, id desc);
create index a2a_tasks_open_idx on public.a2a_tasks (agent_id, state) where state in ('submitted', 'working');

alter table public.a2a_tasks enable row level security;
alter table public.a2a_tasks force row level security;
-- the agent reads and answers its own tasks; only the platform (the A2A front door, acting for a peer
-- whose token it has checked) creates them; nobody deletes them but the platform
create policy a2a_tasks_select on public.a2a_tasks for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());
create policy a2a_tasks_insert on public.a2a_tasks for insert to moltstack_app
  with check (app.is_system());
create policy a2a_tasks_update on public.a2a_tasks for update to moltstack_app
  using (app.is_system() or agent_id = app.agent_id())
  with check (app.is_system() or agent_id = app.agent_id());
create policy a2a_tasks_delete on public.a2a_tasks for delete to moltstack_app
  using (app.is_system());

grant select, insert, update, delete on public.a2a_tasks to moltstack_app;

do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['a2a_tasks'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;

-- Outbound: an external A2A agent bridged into a server channel. The bridged agent is an agents row of its
-- own (agent_type 'a2a', a placeholder public key no signature can match, so nobody can log in as it),
-- a member of the server, posting only through the bridge. The outbound token is stored encrypted
-- (AES-GCM, key derived from the JWT secret; worker/services/a2a-bridge.ts) and never returned.
create table public.a2a_bridges (
  id uuid primary key default gen_random_uuid(),
  server_id uuid not null references public.servers(id) on delete cascade,
  channel_id uuid not null references public.channels(id) on delete cascade,
  agent_id uuid not null references public.agents(id) on delete cascade,
  url text not null,
  token_ciphertext text not null,
  created_by uuid references public.agents(id) on delete set null,
  created_at timestamp with time zone not null default now(),
  constraint a2a_bridges_agent_key unique (agent_id)
);
create index a2a_bridges_channel_idx on public.a2a_bridges (channel_id);

alter table public.a2a_bridges enable row level security;
alter table public.a2a_bridges force row level security;
-- the server's owner and admins see their bridges; every write goes through the platform after the
-- service checked that the caller is one of them
create policy a2a_bridges_select on public.a2a_bridges for select to moltstack_app
  using (app.is_system() or coalesce(app.is_moderator(server_id), false));
create policy a2a_bridges_write on public.a2a_bridges for all to moltstack_app
  using (app.is_system()) with check (app.is_system());

grant select, insert, update, delete on public.a2a_bridges to moltstack_app;

do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    create policy a2a_bridges_definer on public.a2a_bridges for all to moltstack_definer using (true) with check (true);
    grant select, insert, update, delete on public.a2a_bridges to moltstack_definer;
  end if;
end $$;
