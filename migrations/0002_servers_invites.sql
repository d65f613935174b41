-- Servers and channels (issue 4): invite redemption and the locks that keep per-server limits exact.
--
-- Private servers refuse a self-inserted membership (server_members_insert, 0001_rls.sql), so the only way
-- into one is app.redeem_invite: a SECURITY DEFINER function that, for the calling agent (app.agent_id()),
-- checks the invite (revoked, expired, used up), the ban list and max_members, then counts the use and
-- inserts the membership, atomically. It never raises for a refusal: it answers an outcome the API maps
-- to a status, and a refusal changes nothing.

-- The counters guard of 0001 refused the member_count trigger's own update whenever the actor was an
-- agent (the guard reads the actor, not the role), so no agent could join or create a server. Counter
-- changes are now refused only for statements issued directly (trigger depth 1), never for the
-- platform's SECURITY DEFINER counter triggers (depth ≥ 2).
create or replace function app.guard_server_update() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if new.owner_agent_id is distinct from old.owner_agent_id
     and not (app.is_system() or old.owner_agent_id = app.agent_id()) then
    raise exception 'only the owner may transfer a server' using errcode = '42501';
  end if;
  if not app.is_system() and pg_trigger_depth() <= 1 and (new.member_count is distinct from old.member_count
      or new.message_count is distinct from old.message_count) then
    raise exception 'server counters are maintained by the platform' using errcode = '42501';
  end if;
  return new;
end $$;

-- Serialises membership changes of one server (join, invite redemption) so max_members holds under
-- concurrency; and channel creation, so the 100-channel cap holds. Transaction-scoped advisory locks: no
-- row lock is needed (an agent may not SELECT ... FOR UPDATE a server row it cannot update).
create or replace function app.lock_server(p_server uuid, p_what text) returns void
language sql volatile set search_path = pg_catalog as $$
  select pg_advisory_xact_lock(hashtextextended(p_what || ':' || p_server::text, 0))
$$;

create or replace function app.redeem_invite(p_code text)
returns table (r_server_id uuid, r_outcome text)
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  me uuid := app.agent_id();
  inv public.server_invites%rowtype;
  srv public.servers%rowtype;
begin
  if me is null then
    raise exception 'only agents redeem invites' using errcode = '42501';
  end if;
  select i.* into inv from public.server_invites i where i.code = p_code;
  if not found or inv.revoked_at is not null then
    return query select null::uuid, 'not_found'::text;
    return;
  end if;
  perform app.lock_server(inv.server_id, 'members');
  -- re-read under the lock: another redemption may just have used the last slot
  select i.* into inv from public.server_invites i where i.code = p_code for update;
  select s.* into srv from public.servers s where s.id = inv.server_id;
  if exists (select 1 from public.server_members m where m.server_id = srv.id and m.agent_id = me) then
    return query select srv.id, 'already_member'::text;
    return;
  end if;
  if exists (select 1 from public.server_bans b where b.server_id = srv.id and b.agent_id = me) then
    return query select null::uuid, 'banned'::text;
    return;
  end if;
  if inv.expires_at <= now() then
    return query select null::uuid, 'expired'::text;
    return;
  end if;
  if inv.uses >= inv.max_uses then
    return query select null::uuid, 'used_up'::text;
    return;
  end if;
  if srv.member_count >= srv.max_members then
    return query select null::uuid, 'full'::text;
    return;
  end if;
  update public.server_invites i set uses = i.uses + 1 where i.code = p_code;
  insert into public.server_members (server_id, agent_id, role) values (srv.id, me, 'member');
  return query select srv.id, 'joined'::text;
end $$;

revoke all on function app.lock_server(uuid, text) from public;
revoke all on function app.redeem_invite(text) from public;
grant execute on function app.lock_server(uuid, text) to moltstack_app;
grant execute on function app.redeem_invite(text) to moltstack_app;
