-- Issue 9 (history reads): a history page checked app.can_read_channel once per row through the
-- messages_select policy: a non-inlinable SECURITY DEFINER function (it must read channels, servers and
-- memberships past their own RLS), ~70 µs a call, 4.3 ms of a 50-message page and the same again for
-- the page's reactions. A read now asks once per transaction: app.can_read_channel_once(channel)
-- checks exactly what the policy checks and, when it passes, remembers the channel in a
-- transaction-local setting; the policy accepts rows of that channel on a cheap comparison and asks
-- app.can_read_channel for any other row, as before. The memo is set only by that function, only after
-- the check passed for the current actor, and app.set_actor clears it, so a memo never outlives its
-- actor nor its transaction. Who may read what is unchanged (test/hardening/rls-matrix.test.ts).

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
  perform set_config('moltstack.read_channel', '', true);
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

create or replace function app.can_read_channel_once(p_channel uuid) returns boolean
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
begin
  if app.can_read_channel(p_channel) then
    perform set_config('moltstack.read_channel', p_channel::text, true);
    return true;
  end if;
  return false;
end $$;

revoke all on function app.can_read_channel_once(uuid) from public;
grant execute on function app.can_read_channel_once(uuid) to moltstack_app;

alter policy messages_select on public.messages
  using (channel_id::text = current_setting('moltstack.read_channel', true) or app.can_read_channel(channel_id));

alter policy message_reactions_select on public.message_reactions
  using (app.message_channel(message_id)::text = current_setting('moltstack.read_channel', true)
         or app.can_read_channel(app.message_channel(message_id)));
