// One-shot reads in one round trip: Neon's HTTP endpoint runs a batch of statements as one
// non-interactive transaction, so "declare the actor, check, read" costs a single fetch instead of a
// WebSocket connection plus a round trip per statement (BEGIN, set_actor, each query, COMMIT). The
// actor is declared exactly as withActor declares it, first in the same transaction, so RLS applies
// unchanged. Only for reads whose statements do not depend on each other's results.
import { neon } from "@neondatabase/serverless";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { type Actor, actorSubject } from "./actor";
import { configureDriver, type DbEnv } from "./client";
import { toApiErrorFromDb } from "./errors";

const dialect = new PgDialect({ casing: "snake_case" });

/** Run `queries` as `actor` in one read-only transaction over HTTP; the rows of each, in order. */
export async function readAsActor(env: DbEnv, actor: Actor, queries: SQL[]): Promise<Record<string, unknown>[][]> {
  configureDriver(env);
  const client = neon(env.DATABASE_URL, { fullResults: true });
  const compiled = [sql`select app.set_actor(${actor.kind}, ${actorSubject(actor)}::uuid)`, ...queries].map((q) =>
    dialect.sqlToQuery(q),
  );
  try {
    const results = await client.transaction((tx) => compiled.map((c) => tx.query(c.sql, c.params)), {
      readOnly: true,
    });
    return results.slice(1).map((r) => r.rows);
  } catch (e) {
    throw toApiErrorFromDb(e) ?? e;
  }
}
