// The only door to Postgres. `withActor` opens a transaction, declares the actor (RLS reads it), hands
// out a Drizzle transaction and commits; nothing else in the codebase touches a connection.
import { neonConfig, Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { Bindings } from "../env";
import { DB_LIMITS } from "../limits";
import { type Actor, actorSubject } from "./actor";
import { toApiErrorFromDb } from "./errors";
import { ConnectionGate } from "./gate";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Tx = Parameters<Parameters<NeonDatabase<Schema>["transaction"]>[0]>[0];

export type DbEnv = Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">;

let configuredProxy: string | undefined;

/** Local stack only: route the driver through scripts/neon-proxy.mjs (plain ws, no TLS; the app role
 * authenticates in cleartext, as Neon's proxy asks serverless drivers to). */
export function configureDriver(env: DbEnv) {
  if (!env.NEON_WS_PROXY || configuredProxy === env.NEON_WS_PROXY) return;
  const proxy = env.NEON_WS_PROXY;
  neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  // The app role authenticates with a cleartext password, as behind Neon's proxy (scripts/pg.mjs), so
  // startup and password go in one flight, as in production.
  neonConfig.pipelineConnect = "password";
  neonConfig.forceDisablePgSSL = true;
  neonConfig.fetchEndpoint = () => `http://${proxy.split("/")[0]}/sql`;
  configuredProxy = proxy;
}

/**
 * Requests of this isolate share this cap on held connections (issue 15; common/db/gate.ts). The
 * objects (channel rooms, hubs) keep one long-lived pool each and are not gated by it.
 */
export const requestGate = new ConnectionGate(DB_LIMITS.connectionsPerIsolate, DB_LIMITS.queueWaitMs);

/**
 * A lazily-opened pool for one request (in Workers a pool must not outlive the request that made it).
 * Call `close()` when done, e.g. `ctx.waitUntil(db.close())`. With a gate, the first transaction waits for
 * a lease and close() returns it.
 */
export class Database {
  #pool: Pool | undefined;
  #orm: NeonDatabase<Schema> | undefined;
  #lease: Promise<() => void> | null = null;

  constructor(
    private readonly env: DbEnv,
    private readonly gate: ConnectionGate | null = null,
  ) {}

  /** Wait for this database's lease (once; parallel transactions of one request share it). */
  async ready(): Promise<void> {
    if (!this.gate) return;
    this.#lease ??= this.gate.acquire();
    try {
      await this.#lease;
    } catch (e) {
      this.#lease = null; // refused (waited too long): a later attempt queues again
      throw e;
    }
  }

  get orm(): NeonDatabase<Schema> {
    if (!this.#orm) {
      configureDriver(this.env);
      const pool = new Pool({ connectionString: this.env.DATABASE_URL, max: 4 });
      // The pool emits "error" only for *idle* clients (node-postgres' contract): a connection that the
      // proxy or the server closed while nobody used it (a Durable Object's pool between ticks, every few
      // minutes on an idle dev stack), or every socket after end(). The pool drops that client and opens a
      // new one on the next query, so nothing is lost and nothing is logged (issue 16: the warning only
      // alarmed). A database that is really gone fails the next query, which answers 503 and is logged.
      pool.on("error", () => {});
      this.#pool = pool;
      this.#orm = drizzle({ client: pool, schema, casing: "snake_case" });
    }
    return this.#orm;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    this.#orm = undefined;
    if (pool) {
      await pool.end().catch(() => {});
    }
    const lease = this.#lease;
    this.#lease = null;
    if (lease) (await lease.catch(() => null))?.();
  }
}

export function createDatabase(env: DbEnv, opts: { gate?: ConnectionGate } = {}): Database {
  return new Database(env, opts.gate ?? null);
}

/**
 * Run `fn` in one transaction as `actor`. Policies see the actor through app.set_actor, which also
 * refuses (SQLSTATE 28000 → 401) an agent that is no longer verified, in the same round trip.
 * Database errors come out as ApiErrors (4xx for constraint/RLS failures, 503 when unreachable).
 */
export async function withActor<T>(db: Database, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    await db.ready();
    return await db.orm.transaction(async (tx) => {
      await tx.execute(sql`select app.set_actor(${actor.kind}, ${actorSubject(actor)}::uuid)`);
      return fn(tx);
    });
  } catch (e) {
    throw toApiErrorFromDb(e) ?? e;
  }
}
