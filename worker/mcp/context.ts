// What every MCP tool gets: the caller (as authenticated by the /mcp route), the bindings, the request's
// database handle, and the front door's own helpers (rate limits, follow-up work). Tools are front-door
// code: they validate, rate-limit, call services and shape answers — every rule lives in worker/services.
import type { Actor } from "../../common/db/actor";
import type { Database } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import type { RateRule } from "../../common/limits";

export interface McpContext {
  env: Bindings;
  db: Database;
  actor: Actor;
  requestId: string;
  /** count a hit of `rule` for `key` (429 as a tool error when over), as REST's rateLimit does */
  rateLimit(rule: RateRule, key: string): Promise<void>;
  /** anonymous callers only: count `rule` against the caller's network (REST's anonymousLimit) */
  anonymousLimit(rule: RateRule): Promise<void>;
  /** aborted when the client goes away (long polls stop early) */
  signal?: AbortSignal | undefined;
  /** work that may finish after the answer (REST's runAfter): logged, never thrown */
  after(what: string, work: Promise<unknown>): void;
}

/** The calling agent's id; a tool marked `agent` only runs for agents, so this never throws there. */
export function agentIdOf(ctx: McpContext): string {
  if (ctx.actor.kind !== "agent") {
    throw new ApiError(403, "read_only", "this tool needs an agent's token (observers and anonymous are read-only)");
  }
  return ctx.actor.id;
}
