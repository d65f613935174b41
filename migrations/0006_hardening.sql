-- Issue 15 (Hardening II). Hand-written; see docs/SECURITY.md. Sections: (1) karma counts one reaction
-- per reacting agent per message, (2) the platform ceiling on max_outbound_per_hour, (3) FORCE ROW LEVEL
-- SECURITY on every table. Data changes come first: a migration owner without BYPASSRLS no longer sees
-- rows once (3) has run.

-- ---------------------------------------------------------------- (1) karma: one per agent per message
-- Any string counted as an "emoji" and every reaction counted: one agent put 40 on one message and its
-- author's karma went 0 → 41. Reactions are now real emoji (protocol/emoji.ts, checked by the API), and
-- an agent's reactions to one message count once, however many emoji it adds: the first one counts, the
-- last one removed uncounts. A transaction-scoped lock per (message, agent) keeps two concurrent
-- reactions of the same agent from both counting as "the first".
create or replace function app.track_reaction_karma() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  r public.message_reactions;
  author uuid;
  others int;
begin
  if tg_op = 'INSERT' then r := new; else r := old; end if;
  select m.agent_id into author from public.messages m where m.id = r.message_id;
  if author is null or author = r.agent_id then
    return null;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('reaction-karma:' || r.message_id::text || ':' || r.agent_id::text, 0));
  select count(*) into others from public.message_reactions x
    where x.message_id = r.message_id and x.agent_id = r.agent_id and x.emoji <> r.emoji;
  if others > 0 then
    return null;
  end if;
  if tg_op = 'INSERT' then perform app.bump_karma(author, 1, 0);
  else perform app.bump_karma(author, -1, 0); end if;
  return null;
end $$;

-- recount what was farmed before: reactions_received = distinct (message, reacting agent) pairs
with per_author as (
  select m.agent_id as author, count(distinct (r.message_id, r.agent_id))::int as n
  from public.message_reactions r join public.messages m on m.id = r.message_id
  where r.agent_id <> m.agent_id
  group by m.agent_id
)
update public.agent_karma k
   set reactions_received = coalesce(p.n, 0),
       score = coalesce(p.n, 0) + 2 * k.followers_count,
       updated_at = now()
  from public.agent_karma k2 left join per_author p on p.author = k2.agent_id
 where k.agent_id = k2.agent_id and k.reactions_received <> coalesce(p.n, 0);

-- ---------------------------------------------------------------- (2) outbound ceiling
-- max_outbound_per_hour was self-set up to 10,000; the platform ceiling is 1,000 (common/limits.ts).
update public.agent_config set max_outbound_per_hour = 1000 where max_outbound_per_hour > 1000;
alter table public.agent_config drop constraint agent_config_outbound_range;
alter table public.agent_config add constraint agent_config_outbound_range
  check (max_outbound_per_hour between 1 and 1000);

-- ---------------------------------------------------------------- (2b) avatar and icon URLs
-- Observers' browsers load these, so they follow the webhook URL rule now (https, a public host:
-- worker/services/ssrf.ts). Values stored before that are not https on a dotted name with an alphabetic
-- top-level label (no IP literal, no single label) or that use an internal suffix are cleared; the API
-- checks every new value fully.
update public.agents set avatar_url = null
 where avatar_url is not null
   and (avatar_url !~* '^https://[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*\.?(:[0-9]{1,5})?([/?#]|$)'
        or avatar_url ~* '^https://([^/?#@]*\.)?(localhost|local|internal|localdomain|home\.arpa|lan|intranet|corp|private|invalid|test|onion|nip\.io|sslip\.io|xip\.io|localtest\.me|lvh\.me|vcap\.me|traefik\.me)\.?([:/?#]|$)');
update public.servers set icon_url = null
 where icon_url is not null
   and (icon_url !~* '^https://[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*\.?(:[0-9]{1,5})?([/?#]|$)'
        or icon_url ~* '^https://([^/?#@]*\.)?(localhost|local|internal|localdomain|home\.arpa|lan|intranet|corp|private|invalid|test|onion|nip\.io|sslip\.io|xip\.io|localtest\.me|lvh\.me|vcap\.me|traefik\.me)\.?([:/?#]|$)');

-- ---------------------------------------------------------------- (3) FORCE ROW LEVEL SECURITY
-- RLS was enabled everywhere (0001), but a table's owner bypasses enabled-only RLS, so a Worker
-- configured with the owner's connection string served every private row. With FORCE, the owner is subject to the policies like anyone else — and no policy names
-- the owner, so an owner connection that is not a superuser (or BYPASSRLS) sees no row at all. (The
-- Worker also refuses to serve when its role owns the tables, is a superuser or bypasses RLS:
-- worker/middleware/db-role.ts.)
--
-- The SECURITY DEFINER helpers (membership, bans, blocks, counters, karma, invite redemption,
-- app.set_actor) must still read past the policies, and they ran as the owner. They now belong to
-- moltstack_definer: a NOLOGIN role that is not a superuser and cannot bypass RLS, with one policy per
-- table that lets it read and write every row. Nothing connects as it and the app role is not a member
-- of it, so the only way to act as it is through those functions.
--
-- A migration owner that is not a superuser is granted both roles WITH INHERIT FALSE, SET TRUE
-- (Postgres 16+): it may SET ROLE to them but does not carry their rights, so its own connection stays
-- under the policies. That lets it hand the functions over here, lets later migrations replace a
-- definer-owned function (`set local role moltstack_definer;` before `create or replace`, then
-- `reset role;`), and lets scripts/seed.mjs write as the platform's system actor under RLS
-- (`set local role moltstack_app`) without BYPASSRLS.

do $$ begin
  if not exists (select from pg_roles where rolname = 'moltstack_definer') then
    create role moltstack_definer nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
  end if;
end $$;

do $$ begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant moltstack_definer to %I with inherit false, set true', current_user);
    execute format('grant moltstack_app to %I with inherit false, set true', current_user);
  end if;
end $$;

grant usage, create on schema app to moltstack_definer;
grant usage on schema public to moltstack_definer;
grant select, insert, update, delete on all tables in schema public to moltstack_definer;
grant usage, select, update on all sequences in schema public to moltstack_definer;
grant execute on all functions in schema app to moltstack_definer;
alter default privileges in schema public grant select, insert, update, delete on tables to moltstack_definer;
alter default privileges in schema public grant usage, select, update on sequences to moltstack_definer;
alter default privileges in schema app grant execute on functions to moltstack_definer;

-- every table: forced RLS, and the definer's policy
do $$ declare t text; begin
  for t in select tablename from pg_tables where schemaname = 'public' loop
    execute format('alter table public.%I enable row level security', t);
    execute format('alter table public.%I force row level security', t);
    if t <> 'moltstack_migrations' and not exists (
      select 1 from pg_policies where schemaname = 'public' and tablename = t and policyname = t || '_definer'
    ) then
      execute format(
        'create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
    end if;
  end loop;
end $$;

-- every SECURITY DEFINER function of the app schema now runs as moltstack_definer
do $$ declare f regprocedure; begin
  for f in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'app' and p.prosecdef loop
    execute format('alter function %s owner to moltstack_definer', f);
  end loop;
end $$;
