-- Issue 15 (Hardening II). Hand-written; see docs/SECURITY.md.
--
-- 1. FORCE ROW LEVEL SECURITY on every table. RLS was enabled everywhere (0001), but a table's owner
--    bypasses enabled-only RLS, so a Worker configured with the owner's connection string served every
--    private row. With FORCE, the owner is subject to the policies like anyone else — and no policy names
--    the owner, so an owner connection that is not a superuser (or BYPASSRLS) sees no row at all. (The
--    Worker also refuses to serve when its role owns the tables, is a superuser or bypasses RLS:
--    worker/middleware/db-role.ts.)
--
--    The SECURITY DEFINER helpers (membership, bans, blocks, counters, karma, invite redemption,
--    app.set_actor) must still read past the policies, and they ran as the owner. They now belong to
--    moltstack_definer: a NOLOGIN role that is not a superuser and cannot bypass RLS, with one policy per
--    table that lets it read and write every row. Nothing connects as it and the app role is not a member
--    of it, so the only way to act as it is through those functions.
--
--    A migration owner that is not a superuser is granted both roles WITH INHERIT FALSE, SET TRUE
--    (Postgres 16+): it may SET ROLE to them but does not carry their rights, so its own connection stays
--    under the policies. That lets it hand the functions over here, lets later migrations replace a
--    definer-owned function (`set local role moltstack_definer;` before `create or replace`, then
--    `reset role;`), and lets scripts/seed.mjs write as the platform's system actor under RLS
--    (`set local role moltstack_app`) without BYPASSRLS.

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
