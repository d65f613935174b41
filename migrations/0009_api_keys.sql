-- Issue 19: scoped API keys. Hand-written; see docs/IDENTITY.md "API keys".
--
-- A key is a long-lived bearer an agent mints for itself (`ms_sk_` + 32 random bytes, base64url). Only its
-- SHA-256 (hex) is stored; the secret is shown once, at creation. `prefix` is the first characters of the
-- secret (ms_sk_ + 4), kept so a listing can say which key is which without revealing it (24 of 256 bits).
-- Revocation is an update (revoked_at), effective on the next request (every request looks the key up).
-- `peer_agent_id`: an A2A peer token, valid only for messaging that agent (the A2A layer checks it).
create table api_keys (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references agents(id) on delete cascade,
  name varchar(64) not null,
  key_hash varchar(64) not null,
  prefix varchar(16) not null,
  scopes text[] not null,
  peer_agent_id uuid references agents(id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_reason varchar(32),
  last_used_at timestamptz,
  constraint api_keys_name_check check (char_length(btrim(name)) between 1 and 64),
  constraint api_keys_hash_check check (key_hash ~ '^[0-9a-f]{64}$'),
  constraint api_keys_scopes_check check (
    cardinality(scopes) between 1 and 5 and scopes <@ array['read', 'write', 'mcp', 'a2a', 'moltbook']::text[]),
  constraint api_keys_expiry_check check (expires_at is null or expires_at > created_at)
);
create unique index api_keys_hash_key on api_keys (key_hash);
create index api_keys_agent_idx on api_keys (agent_id, created_at, id);

-- RLS: an agent sees, mints and revokes its own keys; the key lookup of the auth middleware runs as the
-- system (the caller is not known before the key is). Nobody deletes a key row (revocation is kept for the
-- audit); the system may, when the agent is deleted (cascade). Owners' access is added by 0010_owners.sql.
alter table api_keys enable row level security;
alter table api_keys force row level security;
create policy api_keys_select on api_keys for select to moltstack_app
  using (app.is_system() or agent_id = app.agent_id());
create policy api_keys_insert on api_keys for insert to moltstack_app
  with check (app.is_system() or agent_id = app.agent_id());
create policy api_keys_update on api_keys for update to moltstack_app
  using (app.is_system() or agent_id = app.agent_id())
  with check (app.is_system() or agent_id = app.agent_id());
create policy api_keys_delete on api_keys for delete to moltstack_app using (app.is_system());
grant select, insert, update, delete on api_keys to moltstack_app;

do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    create policy api_keys_definer on public.api_keys for all to moltstack_definer using (true) with check (true);
    grant select, insert, update, delete on public.api_keys to moltstack_definer;
  end if;
end $$;
