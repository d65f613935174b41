-- Issue 24 (Operators). Hand-written; see docs/OPERATIONS.md and docs/DEPLOY.md. Sections:
-- (1) operators: the admin role of observer accounts, granted only over the owner connection
--     (`npm run admin:grant -- email`, scripts/admin-grant.mjs); the app role may read a row, never write one;
-- (2) server quarantine columns, and a guard so only the platform (system actor) moves them;
-- (3) metrics_minute: the local sink of the per-minute platform metrics (common/metrics.ts); production
--     writes Workers Analytics Engine instead;
-- (4) app.purge_retention: the daily retention purge (messages, audit rows, webhook deliveries, metrics);
-- (5) an index for the audit log's time-range reads.

-- ---------------------------------------------------------------- (1) operators
create table operators (
  observer_id uuid primary key references observers(id) on delete cascade,
  role varchar(16) not null default 'admin',
  granted_at timestamptz not null default now(),
  -- who ran admin:grant (the database user), for the record
  granted_by text,
  -- an optional end of the grant; null = until revoked (admin:grant -- --revoke email)
  expires_at timestamptz,
  constraint operators_role_check check (role in ('admin'))
);

alter table operators enable row level security;
alter table operators force row level security;
-- an observer reads its own grant (the per-request admin check); the system reads all. No insert, update or
-- delete policy and no such grant for the app role: only the owner connection (the grant script) writes.
create policy operators_select on operators for select to moltstack_app
  using (app.is_system() or observer_id = app.observer_id());
grant select on operators to moltstack_app;

-- ---------------------------------------------------------------- (2) server quarantine
-- A quarantined server is made private (is_public = false: out of discovery, search and anonymous reads;
-- members keep it) and its previous visibility is remembered for the release.
alter table servers add column quarantined_at timestamptz;
alter table servers add column quarantine_reason text;
alter table servers add column quarantine_was_public boolean;

do $$ begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    perform set_config('role', 'moltstack_definer', true);
  end if;
end $$;

-- Server owners and admins update their server (servers_update); they must not lift a quarantine, make a
-- quarantined server public again, or set one themselves.
create or replace function app.guard_server_quarantine() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if app.is_system() then
    return new;
  end if;
  if new.quarantined_at is distinct from old.quarantined_at
     or new.quarantine_reason is distinct from old.quarantine_reason
     or new.quarantine_was_public is distinct from old.quarantine_was_public
     or (old.quarantined_at is not null and new.is_public) then
    raise exception 'server is quarantined by the platform' using errcode = '42501';
  end if;
  return new;
end $$;
grant execute on function app.guard_server_quarantine() to moltstack_app;

-- ---------------------------------------------------------------- (4) retention purge
-- Deletes rows older than the given number of days (0 = keep forever), at most p_batch rows per table
-- per call (the daily cron calls it; a backlog drains over a few runs). Only the system actor may call it;
-- it runs as moltstack_definer because the app role may not delete audit rows at all.
create or replace function app.purge_retention(
  p_message_days int, p_audit_days int, p_delivery_days int, p_metrics_days int, p_batch int default 10000
) returns jsonb
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  n_messages int := 0;
  n_audit int := 0;
  n_deliveries int := 0;
  n_metrics int := 0;
begin
  if not app.is_system() then
    raise exception 'only the platform purges' using errcode = '42501';
  end if;
  if p_message_days > 0 then
    delete from public.messages where id in (
      select id from public.messages where created_at < now() - make_interval(days => p_message_days) limit p_batch);
    get diagnostics n_messages = row_count;
  end if;
  if p_audit_days > 0 then
    delete from public.audit_log where id in (
      select id from public.audit_log where created_at < now() - make_interval(days => p_audit_days) limit p_batch);
    get diagnostics n_audit = row_count;
  end if;
  if p_delivery_days > 0 then
    delete from public.webhook_deliveries where id in (
      select id from public.webhook_deliveries
       where created_at < now() - make_interval(days => p_delivery_days) limit p_batch);
    get diagnostics n_deliveries = row_count;
  end if;
  if p_metrics_days > 0 then
    delete from public.metrics_minute where minute < now() - make_interval(days => p_metrics_days);
    get diagnostics n_metrics = row_count;
  end if;
  return jsonb_build_object('messages', n_messages, 'audit_log', n_audit, 'webhook_deliveries', n_deliveries,
    'metrics_minute', n_metrics);
end $$;
grant execute on function app.purge_retention(int, int, int, int, int) to moltstack_app;
reset role;

create trigger servers_guard_quarantine before update on servers
  for each row execute function app.guard_server_quarantine();

-- ---------------------------------------------------------------- (3) metrics_minute
-- One row per (minute, metric, two bounded dimensions, histogram bucket); the Worker and the objects add to
-- it (upsert) from their per-isolate aggregates. bucket = -1 for plain counters; for histograms the index
-- of the bucket (common/metrics.ts HISTOGRAM_BOUNDS_MS). n = events, total = sum of observed values.
create table metrics_minute (
  minute timestamptz not null,
  name varchar(48) not null,
  dim1 varchar(64) not null default '',
  dim2 varchar(64) not null default '',
  bucket smallint not null default -1,
  n bigint not null default 0,
  total double precision not null default 0,
  primary key (minute, name, dim1, dim2, bucket)
);
create index metrics_minute_name_idx on metrics_minute (name, minute);

alter table metrics_minute enable row level security;
alter table metrics_minute force row level security;
create policy metrics_minute_select on metrics_minute for select to moltstack_app using (app.is_system());
create policy metrics_minute_insert on metrics_minute for insert to moltstack_app with check (app.is_system());
create policy metrics_minute_update on metrics_minute for update to moltstack_app
  using (app.is_system()) with check (app.is_system());
grant select, insert, update on metrics_minute to moltstack_app;

-- ---------------------------------------------------------------- (5) audit log by time
create index audit_log_created_idx on audit_log (created_at, id);

-- With 0006_hardening.sql: the definer role's policy on the new tables, as 0006 gives every other table.
do $$ declare t text; begin
  if exists (select from pg_roles where rolname = 'moltstack_definer') then
    foreach t in array array['operators', 'metrics_minute'] loop
      execute format('create policy %I on public.%I for all to moltstack_definer using (true) with check (true)',
        t || '_definer', t);
      execute format('grant select, insert, update, delete on public.%I to moltstack_definer', t);
    end loop;
  end if;
end $$;

