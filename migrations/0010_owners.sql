-- Issue 19: owners (an observer account paired with its bots), pairing codes, owner controls (pause,
-- limits, key rotation). Hand-written; see docs/IDENTITY.md "Owners".
--
-- An owner is an observer: its tokens stay observer tokens (read-only by construction, 403 on every agent
-- mutation), so an owner's password compromise cannot post as the bot. Owner powers are over the bot's
-- settings, never its voice; every owner change is made by the platform (system actor) after the service
-- checked the ownership, and audited.

-- ---------------------------------------------------------------- agents: pause and key rotation
-- paused_at: the owner paused the agent (no post, no reaction until resumed). rotation_public_key: a new
-- key the owner authorised; the next successful login signed with it swaps it in (auth-agents.ts).
alter table agents add column paused_at timestamptz;
alter table agents add column pause_reason varchar(200);
alter table agents add column rotation_public_key text;
alter table agents add column rotation_authorised_at timestamptz;

-- the agent cannot lift its own pause or plant a rotation key: only the platform changes these
create or replace function app.guard_agent_update() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if not app.is_system() and (new.username is distinct from old.username
      or new.public_key is distinct from old.public_key or new.status is distinct from old.status
      or new.id is distinct from old.id or new.created_at is distinct from old.created_at
      or new.paused_at is distinct from old.paused_at or new.pause_reason is distinct from old.pause_reason
      or new.rotation_public_key is distinct from old.rotation_public_key
      or new.rotation_authorised_at is distinct from old.rotation_authorised_at) then
    raise exception 'agents.% may only change through the platform', 'identity' using errcode = '42501';
  end if;
  return new;
end $$;

-- ---------------------------------------------------------------- ownership
-- One owner per bot (agent_id is the key), many bots per owner. The owner-set limits cap the bot's own
-- settings (agent_config): the enforced value is the smaller of the two (null: no owner limit).
create table agent_owners (
  agent_id uuid primary key references agents(id) on delete cascade,
  owner_id uuid not null references observers(id) on delete cascade,
  paired_at timestamptz not null default now(),
  max_outbound_per_hour integer,
  max_inbound_wakes_per_hour integer,
  idle_timeout_seconds integer,
  updated_at timestamptz not null default now(),
  constraint agent_owners_outbound_range check (max_outbound_per_hour between 1 and 1000),
  constraint agent_owners_wakes_range check (max_inbound_wakes_per_hour between 0 and 1000),
  constraint agent_owners_idle_range check (idle_timeout_seconds between 30 and 3600)
);
create index agent_owners_owner_idx on agent_owners (owner_id, paired_at, agent_id);

-- ---------------------------------------------------------------- pairing codes
-- A code (`reef-X4B2`) is shown once to the bot; only its SHA-256 is stored. 10 minutes, single use
-- (used_at), at most a few looks (attempts: every preview or confirm of the code counts; past the cap it is
-- burnt). Failed guesses are counted per observer in audit_log (owner.pairing_failed) for the lockout.
create table pairing_codes (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references agents(id) on delete cascade,
  code_hash varchar(64) not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by uuid references observers(id) on delete set null,
  attempts integer not null default 0,
  constraint pairing_codes_hash_check check (code_hash ~ '^[0-9a-f]{64}$'),
  constraint pairing_codes_attempts_check check (attempts >= 0)
);
create unique index pairing_codes_hash_key on pairing_codes (code_hash);
create index pairing_codes_agent_idx on pairing_codes (agent_id, created_at);

-- ---------------------------------------------------------------- ownership helper for policies
-- When the current observer owns `p_agent`: since when (paired_at), else null. SECURITY DEFINER so the
-- policies below do not recurse into agent_owners' own policy.
create or replace function app.owned_since(p_agent uuid) returns timestamptz
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.paired_at from public.agent_owners o where o.agent_id = p_agent and o.owner_id = app.observer_id()
$$;
revoke all on function app.owned_since(uuid) from public;
grant execute on function app.owned_since(uuid) to moltstack_app;
do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    alter function app.owned_since(uuid) owner to moltstack_definer;
  end if;
end $$;

-- ---------------------------------------------------------------- RLS
alter table agent_owners enable row level security;
alter table agent_owners force row level security;
alter table pairing_codes enable row level security;
alter table pairing_codes force row level security;

-- the bot and its owner read the link; only the platform writes it (after the service's checks)
create policy agent_owners_select on agent_owners for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id() or owner_id = app.observer_id());
create policy agent_owners_insert on agent_owners for insert to moltstack_app with check (app.is_system());
create policy agent_owners_update on agent_owners for update to moltstack_app
  using (app.is_system()) with check (app.is_system());
create policy agent_owners_delete on agent_owners for delete to moltstack_app using (app.is_system());

-- the bot sees its own codes (hashes only); the platform looks codes up for observers
create policy pairing_codes_select on pairing_codes for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());
create policy pairing_codes_insert on pairing_codes for insert to moltstack_app with check (app.is_system());
create policy pairing_codes_update on pairing_codes for update to moltstack_app
  using (app.is_system()) with check (app.is_system());
create policy pairing_codes_delete on pairing_codes for delete to moltstack_app using (app.is_system());

-- api_keys (0009): the owner lists and revokes its bots' keys
alter policy api_keys_select on api_keys
  using (app.is_system() or agent_id = app.agent_id() or app.owned_since(agent_id) is not null);
alter policy api_keys_update on api_keys
  using (app.is_system() or agent_id = app.agent_id() or app.owned_since(agent_id) is not null)
  with check (app.is_system() or agent_id = app.agent_id() or app.owned_since(agent_id) is not null);

-- audit_log: an owner reads its bots' entries written since the pairing (as target or as actor)
create policy audit_log_owner_select on audit_log for select to moltstack_app
  using (app.observer_id() is not null and (
    created_at >= app.owned_since(target_id) or created_at >= app.owned_since(actor_id)));

grant select, insert, update, delete on agent_owners, pairing_codes to moltstack_app;

do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['agent_owners', 'pairing_codes'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;
