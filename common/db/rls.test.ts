// RLS is proven, not assumed (issue 2): the app role cannot bypass it, every table has it, and the
// policies keep each actor to its own rows.
import { is, sql } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { asActor, asSystem, createAgent, queryAs } from "../../test/helpers";
import { ANONYMOUS, agentActor, observerActor, SYSTEM } from "./actor";
import * as schema from "./schema";

const schemaTables = (Object.values(schema) as unknown[])
  .filter((t): t is PgTable => is(t, PgTable))
  .map((t) => getTableConfig(t).name)
  .sort();

async function dmBetween(aId: string, bId: string) {
  const [lo, hi] = aId < bId ? [aId, bId] : [bId, aId];
  const [ch] = await asSystem((tx) =>
    tx
      .insert(schema.channels)
      .values({ type: "dm", dmAgentAId: lo, dmAgentBId: hi })
      .returning({ id: schema.channels.id }),
  );
  if (!ch) throw new Error("no channel");
  await asSystem((tx) =>
    tx
      .insert(schema.messages)
      .values({ id: crypto.randomUUID(), channelId: ch.id, agentId: aId, seq: 1, content: "secret dm" }),
  );
  return ch.id;
}

describe("row-level security", () => {
  it("connects as a role that is neither superuser, owner, nor able to bypass RLS", async () => {
    const [role] = await queryAs<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      ANONYMOUS,
      sql`select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user`,
    );
    expect(role).toEqual({ rolname: "moltstack_app", rolsuper: false, rolbypassrls: false });
    const owned = await queryAs(
      ANONYMOUS,
      sql`select tablename from pg_tables where schemaname = 'public' and tableowner = current_user`,
    );
    expect(owned).toEqual([]);
  });

  it("has RLS enabled on every table in the database, so a new table cannot slip through", async () => {
    const tables = await queryAs<{ relname: string; relrowsecurity: boolean }>(
      ANONYMOUS,
      sql`select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`,
    );
    expect(tables.filter((t) => !t.relrowsecurity).map((t) => t.relname)).toEqual([]);
    // and every table the Drizzle schema declares exists in the database
    const names = new Set(tables.map((t) => t.relname));
    expect(schemaTables.filter((t) => !names.has(t))).toEqual([]);
    expect(schemaTables.length).toBeGreaterThanOrEqual(22);
  });

  it("forces RLS on every table, so even the table owner is bound by the policies (issue 15)", async () => {
    const tables = await queryAs<{ relname: string; forced: boolean }>(
      ANONYMOUS,
      sql`select c.relname, c.relforcerowsecurity as forced from pg_class c
          join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(22);
    expect(tables.filter((t) => !t.forced).map((t) => t.relname)).toEqual([]);
  });

  it("runs every SECURITY DEFINER helper as moltstack_definer, which is no superuser and cannot bypass RLS", async () => {
    const fns = await queryAs<{ fn: string; owner: string }>(
      ANONYMOUS,
      sql`select p.oid::regprocedure::text as fn, r.rolname as owner from pg_proc p
          join pg_namespace n on n.oid = p.pronamespace join pg_roles r on r.oid = p.proowner
          where n.nspname = 'app' and p.prosecdef order by 1`,
    );
    expect(fns.length).toBeGreaterThan(5);
    expect(fns.filter((f) => f.owner !== "moltstack_definer")).toEqual([]);
    const [definer] = await queryAs<{
      rolsuper: boolean;
      rolbypassrls: boolean;
      rolcanlogin: boolean;
      member: boolean;
    }>(
      ANONYMOUS,
      sql`select rolsuper, rolbypassrls, rolcanlogin, pg_has_role('moltstack_app', oid, 'MEMBER') as member
          from pg_roles where rolname = 'moltstack_definer'`,
    );
    // and the app role can neither act as it nor inherit its policies
    expect(definer).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false, member: false });
  });

  it("shows no sensitive rows when no actor is set", async () => {
    const a = await createAgent();
    await asSystem((tx) => tx.insert(schema.agentConfig).values({ agentId: a.id, webhookSecret: "s3cret" }));
    for (const table of [
      "agent_tokens",
      "token_families",
      "auth_challenges",
      "agent_config",
      "observers",
      "audit_log",
      "webhook_deliveries",
      "agent_blocks",
      "friend_requests",
      "friendships",
    ]) {
      const rows = await queryAs(ANONYMOUS, sql`select * from ${sql.identifier(table)}`);
      expect(rows, table).toEqual([]);
    }
  });

  it("keeps one agent's tokens, config and DMs away from another agent", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const c = await createAgent();
    await asSystem(async (tx) => {
      const [fam] = await tx.insert(schema.tokenFamilies).values({ agentId: b.id }).returning();
      if (!fam) throw new Error("no family");
      await tx.insert(schema.agentTokens).values({
        agentId: b.id,
        familyId: fam.id,
        tokenHash: "h",
        refreshTokenHash: crypto.randomUUID(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      await tx.insert(schema.agentConfig).values({ agentId: b.id, webhookUrl: "https://b.example/hook" });
    });
    const dm = await dmBetween(b.id, c.id);

    const asA = agentActor(a.id);
    expect(await queryAs(asA, sql`select * from agent_tokens where agent_id = ${b.id}`)).toEqual([]);
    expect(await queryAs(asA, sql`select * from token_families where agent_id = ${b.id}`)).toEqual([]);
    expect(await queryAs(asA, sql`select * from agent_config where agent_id = ${b.id}`)).toEqual([]);
    expect(await queryAs(asA, sql`select * from channels where id = ${dm}`)).toEqual([]);
    expect(await queryAs(asA, sql`select * from messages where channel_id = ${dm}`)).toEqual([]);

    // the owner and the DM participants do see their rows
    expect(await queryAs(agentActor(b.id), sql`select id from agent_tokens where agent_id = ${b.id}`)).toHaveLength(1);
    expect(await queryAs(agentActor(b.id), sql`select * from agent_config where agent_id = ${b.id}`)).toHaveLength(1);
    expect(await queryAs(agentActor(c.id), sql`select content from messages where channel_id = ${dm}`)).toEqual([
      { content: "secret dm" },
    ]);
  });

  it("remembers a channel as readable only after the check passes, and never past a change of actor", async () => {
    const b = await createAgent();
    const c = await createAgent();
    const outsider = await createAgent();
    const dm = await dmBetween(b.id, c.id);
    // the read-once check refuses an outsider and remembers nothing: the rows stay hidden
    const refused = await asActor(agentActor(outsider.id), async (tx) => {
      const ok = await tx.execute<{ ok: boolean }>(sql`select app.can_read_channel_once(${dm}::uuid) as ok`);
      const rows = await tx.execute(sql`select content from messages where channel_id = ${dm}`);
      return { ok: ok.rows[0]?.ok, rows: rows.rows };
    });
    expect(refused).toEqual({ ok: false, rows: [] });
    // a participant's passing check does not carry over to the next actor of the same transaction
    const carried = await asActor(agentActor(b.id), async (tx) => {
      await tx.execute(sql`select app.can_read_channel_once(${dm}::uuid)`);
      const own = await tx.execute(sql`select content from messages where channel_id = ${dm}`);
      await tx.execute(sql`select app.set_actor('agent', ${outsider.id}::uuid)`);
      const other = await tx.execute(sql`select content from messages where channel_id = ${dm}`);
      return { own: own.rows.length, other: other.rows.length };
    });
    expect(carried).toEqual({ own: 1, other: 0 });
    // every actor starts with an empty memo (app.set_actor resets it), so nothing is readable through it
    const fresh = await queryAs(
      agentActor(outsider.id),
      sql`select content from messages where channel_id = ${dm} and current_setting('moltstack.read_channel', true) = ''`,
    );
    expect(fresh).toEqual([]);
  });

  it("refuses writes to another agent's rows", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const asA = agentActor(a.id);
    // update of someone else's profile silently matches zero rows (invisible to the policy)
    const upd = await asActor(asA, (tx) => tx.execute(sql`update agents set bio = 'pwned' where id = ${b.id}`));
    expect(upd.rowCount).toBe(0);
    await expect(
      asActor(asA, (tx) =>
        tx.execute(sql`insert into agent_config (agent_id, webhook_url) values (${b.id}, 'https://evil.example')`),
      ),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      asActor(asA, (tx) =>
        tx.execute(sql`insert into agent_follows (follower_id, following_id) values (${b.id}, ${a.id})`),
      ),
    ).rejects.toMatchObject({ status: 403 });
    const [bio] = await queryAs<{ bio: string | null }>(SYSTEM, sql`select bio from agents where id = ${b.id}`);
    expect(bio?.bio).toBeNull();
  });

  it("lets an agent edit its own profile but never its status or key", async () => {
    const a = await createAgent();
    const asA = agentActor(a.id);
    const ok = await asActor(asA, (tx) => tx.execute(sql`update agents set bio = 'hello' where id = ${a.id}`));
    expect(ok.rowCount).toBe(1);
    await expect(
      asActor(asA, (tx) => tx.execute(sql`update agents set status = 'verified', public_key = 'x' where id = ${a.id}`)),
    ).rejects.toMatchObject({ status: 403 });
  });

  it("refuses a suspended agent's actor with 401 before any query runs", async () => {
    const s = await createAgent({ status: "suspended" });
    await expect(asActor(agentActor(s.id), (tx) => tx.execute(sql`select 1`))).rejects.toMatchObject({ status: 401 });
    await expect(asActor(observerActor(crypto.randomUUID()), (tx) => tx.execute(sql`select 1`))).rejects.toMatchObject({
      status: 401,
    });
  });

  it("hides private servers from non-members and keeps the audit log append-only", async () => {
    const owner = await createAgent();
    const outsider = await createAgent();
    const [srv] = await asActor(agentActor(owner.id), (tx) =>
      tx.insert(schema.servers).values({ name: "secret club", ownerAgentId: owner.id, isPublic: false }).returning(),
    );
    if (!srv) throw new Error("no server");
    expect(await queryAs(agentActor(outsider.id), sql`select * from servers where id = ${srv.id}`)).toEqual([]);
    expect(await queryAs(ANONYMOUS, sql`select * from servers where id = ${srv.id}`)).toEqual([]);
    expect(await queryAs(agentActor(owner.id), sql`select name from servers where id = ${srv.id}`)).toEqual([
      { name: "secret club" },
    ]);

    await asActor(agentActor(owner.id), (tx) =>
      tx.execute(sql`insert into audit_log (event, actor_kind) values ('test', 'agent')`),
    );
    expect(await queryAs(agentActor(owner.id), sql`select * from audit_log`)).toEqual([]);
    await expect(asActor(SYSTEM, (tx) => tx.execute(sql`delete from audit_log`))).rejects.toMatchObject({
      status: 403,
    });
  });
});
