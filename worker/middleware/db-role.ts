// The database is the last line of defence only if the Worker connects as a role that RLS binds (issue 15,
// item 9). A deployment whose DATABASE_URL names the table owner, a superuser or a BYPASSRLS role would
// serve every private row while /health said "ok". So, once per isolate, before the first request is
// served, the Worker asks Postgres who it is; if the role can bypass the policies, every request gets a
// 503 (the reason in the operator log) and /api/v1/health says why.
import { neon } from "@neondatabase/serverless";
import { createMiddleware } from "hono/factory";
import { configureDriver, type DbEnv } from "../../common/db/client";
import { ApiError } from "../../common/errors";
import type { AppEnv } from "../context";

export interface RoleFacts {
  role: string;
  superuser: boolean;
  bypassrls: boolean;
  /** the role has the rights of the owner of at least one table of the public schema */
  owns_tables: boolean;
}

/** Pure: what makes this role unfit to serve; empty when RLS binds it. */
export function roleProblems(f: RoleFacts): string[] {
  const out: string[] = [];
  if (f.superuser) out.push("the database role is a superuser");
  if (f.bypassrls) out.push("the database role has BYPASSRLS");
  if (f.owns_tables) out.push("the database role owns the tables (connect as moltstack_app, not the owner)");
  return out;
}

/** One statement over HTTP (one round trip, no connection kept). Catalogs are readable by every role. */
export async function readRoleFacts(env: DbEnv): Promise<RoleFacts> {
  configureDriver(env);
  const client = neon(env.DATABASE_URL);
  const rows = (await client.query(
    `select r.rolname as role, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
            exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = 'public' and c.relkind in ('r', 'p')
                      and pg_has_role(current_user, c.relowner, 'USAGE')) as owns_tables
       from pg_roles r where r.rolname = current_user`,
  )) as RoleFacts[];
  const row = rows[0];
  if (!row) throw new Error("current_user not found in pg_roles");
  return row;
}

export interface RoleGate {
  /** null until checked; [] when fine */
  problems: string[] | null;
}

/**
 * The middleware, with its per-isolate state in the closure (one per createApp()). A failed check (the
 * database unreachable) is not remembered: the request goes on and fails or succeeds on its own, and the
 * next request checks again.
 */
export function dbRoleGuard(read: (env: DbEnv) => Promise<RoleFacts> = readRoleFacts) {
  const gate: RoleGate = { problems: null };
  let pending: Promise<void> | null = null;
  const check = (env: DbEnv) => {
    pending ??= read(env)
      .then((facts) => {
        gate.problems = roleProblems(facts);
        if (gate.problems.length > 0) {
          console.error(
            JSON.stringify({
              level: "error",
              msg: "refusing to serve: the database role bypasses row-level security",
              role: facts.role,
              problems: gate.problems,
            }),
          );
        }
      })
      .catch(() => {})
      .finally(() => {
        pending = null;
      });
    return pending;
  };
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    if (gate.problems === null) await check(c.env);
    const problems = gate.problems ?? [];
    if (problems.length > 0) {
      if (c.req.path === "/api/v1/health") {
        return c.json(
          {
            status: "refusing" as const,
            db: "unsafe_role" as const,
            version: c.env.APP_VERSION,
            reason: `refusing to serve: ${problems.join("; ")}`,
          },
          503,
        );
      }
      // answered here, not thrown: the reason was logged once, not a stack trace per request
      return c.json(
        new ApiError(503, "internal_error", "the service is misconfigured; see the operator log").toBody(),
        503,
      );
    }
    await next();
  });
  return { middleware, gate };
}
