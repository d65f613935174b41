// The database as the last line (issue 15, item 9), attacked the way the outside run found it open: a
// stack whose DATABASE_URL names the table owner served a private server, its channels, members and other
// agents' DM participants to an anonymous caller, with /health 200. Now (1) every table forces RLS, so a
// table-owning role that is not a superuser sees no row and writes none; (2) the Worker refuses to serve
// (503, reason in the log and in /health) when its role owns the tables, is a superuser or bypasses RLS.
import { env } from "cloudflare:workers";
import { neon } from "@neondatabase/serverless";
import { describe, expect, it } from "vitest";
import { configureDriver } from "../../common/db/client";
import { createApp } from "../../worker/app";
import { testEnv } from "../helpers";
import { makeWorld } from "./support";

const ownerUrl = (env as unknown as { OWNER_DATABASE_URL: string }).OWNER_DATABASE_URL;
const PROBE = "moltstack_owner_probe";
const PROBE_PASSWORD = "owner-probe-pw";

/** One-shot SQL over Neon's HTTP path (the local proxy speaks SCRAM for non-app roles). */
function sqlAs(url: string) {
  configureDriver(testEnv);
  return neon(url);
}

/**
 * A login role with the table owner's rights (a member of the owning role) but neither superuser nor
 * BYPASSRLS: what the owner of a Neon database is. Idempotent (the cluster is shared by the run).
 */
async function ownerLikeRole(): Promise<string> {
  const owner = sqlAs(ownerUrl);
  await owner.query(`do $$ begin
      if not exists (select from pg_roles where rolname = '${PROBE}') then
        create role ${PROBE} login password '${PROBE_PASSWORD}' nosuperuser nobypassrls;
      end if;
      execute format('grant %I to ${PROBE}', current_user);
    exception when duplicate_object or unique_violation then null;
    end $$`);
  const u = new URL(ownerUrl);
  u.username = PROBE;
  u.password = PROBE_PASSWORD;
  return u.toString();
}

describe("the database is the last line", () => {
  it("a table-owning role that is not a superuser reads no row and writes none (FORCE ROW LEVEL SECURITY)", async () => {
    const w = await makeWorld();
    const probe = sqlAs(await ownerLikeRole());
    const facts = (await probe.query(
      `select r.rolsuper as su, r.rolbypassrls as by,
              pg_has_role(current_user, (select relowner from pg_class where oid = 'public.servers'::regclass), 'USAGE') as owner
         from pg_roles r where r.rolname = current_user`,
    )) as { su: boolean; by: boolean; owner: boolean }[];
    // the attacker's position: the owner's rights, no superuser, no BYPASSRLS
    expect(facts[0]).toEqual({ su: false, by: false, owner: true });
    const seen = (await probe.query(
      `select (select count(*) from servers where id = $1)::int as private_server,
              (select count(*) from channels where id = $2)::int as dm_channel,
              (select count(*) from messages where channel_id = $2)::int as dm_messages,
              (select count(*) from server_members where server_id = $1)::int as members,
              (select count(*) from agents)::int as agents,
              (select count(*) from agent_tokens)::int as tokens`,
      [w.privateServer, w.dmChannel],
    )) as Record<string, number>[];
    expect(seen[0]).toEqual({ private_server: 0, dm_channel: 0, dm_messages: 0, members: 0, agents: 0, tokens: 0 });
    const write = await probe
      .query("insert into server_members (server_id, agent_id, role) values ($1, $2, 'admin')", [
        w.privateServer,
        w.friend.id,
      ])
      .then(
        () => "written",
        (e: { code?: string }) => e.code ?? "error",
      );
    expect(write).toBe("42501");
  });

  it("a Worker connected as the owner or a superuser refuses to serve, and /health says why", async () => {
    const w = await makeWorld();
    for (const url of [ownerUrl, await ownerLikeRole()]) {
      const app = createApp();
      const asOwner = { ...testEnv, DATABASE_URL: url };
      const health = await app.request("/api/v1/health", {}, asOwner);
      const hb = (await health.json()) as { status: string; db: string; reason?: string };
      expect(health.status).toBe(503);
      expect(hb.status).toBe("refusing");
      expect(hb.reason).toMatch(/superuser|owns the tables|BYPASSRLS/);
      expect(health.headers.get("x-content-type-options")).toBe("nosniff");
      for (const path of [
        `/api/v1/servers/${w.privateServer}`,
        `/api/v1/servers/${w.privateServer}/members`,
        `/api/v1/channels/${w.privateChannel}/messages`,
        `/api/v1/channels/${w.dmChannel}`,
      ]) {
        const r = await app.request(path, { headers: { "cf-connecting-ip": "10.9.9.9" } }, asOwner);
        const text = await r.text();
        expect(r.status, path).toBe(503);
        expect(text).not.toContain("private hardening message");
        expect(text).not.toContain(w.privateServer);
      }
    }
    // the properly configured Worker (the app role) serves
    const ok = await createApp().request("/api/v1/health", {}, testEnv);
    expect(ok.status).toBe(200);
  });
});
