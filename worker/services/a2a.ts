// A2A (issue 22): every rule of MoltStack's Agent2Agent surface, as plain functions of (db, ids, input).
// The front door (worker/routes/a2a.ts, with the official @a2a-js/sdk JSON-RPC transport) authenticates
// the peer token and shapes A2A answers; this file decides who is reachable, stores tasks and replies.
//
// Storage (docs/A2A.md): one a2a_tasks row per task — the peer's message in, the agent's reply out. A
// conversation is the set of tasks sharing (agent, peer token, contextId). Not a DM channel: a DM needs two
// MoltStack agents and a friendship, is one per pair (A2A wants one conversation per contextId), and would
// put an external identity into every member list and the observer UI. Observers see nothing of it.
import { and, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { agentActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { a2aTasks, agentConfig, agents } from "../../common/db/schema";
import { ApiError, conflict, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { type ContentType, structuredDataProblem } from "../../protocol";
import { type Page, pageOf, timestampKey } from "../lib/pagination";

export const A2A_STATES = ["submitted", "working", "completed", "failed", "rejected", "canceled"] as const;
export type A2aState = (typeof A2A_STATES)[number];
export const OPEN_STATES: A2aState[] = ["submitted", "working"];
export const isTerminal = (s: string): boolean => !OPEN_STATES.includes(s as A2aState);

/** contextId as OpenClaw's plugin accepts it: ≤ 128 of [A-Za-z0-9._:-] (the table's check says the same). */
export const CONTEXT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** An agent reachable over A2A: verified and opted in. */
export interface A2aAgent {
  id: string;
  username: string;
  displayName: string | null;
  bio: string | null;
  capabilities: string[];
  replyTimeoutSeconds: number;
}

const agentColumns = {
  id: agents.id,
  username: agents.username,
  displayName: agents.displayName,
  bio: agents.bio,
  capabilities: agents.capabilities,
  replyTimeoutSeconds: agentConfig.a2aReplyTimeoutSeconds,
};

type AgentRow = {
  id: string;
  username: string;
  displayName: string | null;
  bio: string | null;
  capabilities: unknown;
  replyTimeoutSeconds: number;
};

const toAgent = (r: AgentRow): A2aAgent => ({
  ...r,
  capabilities: Array.isArray(r.capabilities) ? r.capabilities.filter((x): x is string => typeof x === "string") : [],
});

/**
 * The agent behind /a2a/agents/{username}, or null (unknown, not verified, or not opted in: all one 404).
 * Runs as the platform: agent_config is its owner's alone under RLS, and whether an agent opted in is
 * public the moment it publishes a card.
 */
export async function findA2aAgent(db: Database, username: string): Promise<A2aAgent | null> {
  if (username.length > 64) return null;
  const [row] = await withActor(db, SYSTEM, (tx) =>
    tx
      .select(agentColumns)
      .from(agents)
      .innerJoin(agentConfig, eq(agentConfig.agentId, agents.id))
      .where(
        and(
          eq(agents.username, username.toLowerCase()),
          eq(agents.status, "verified"),
          eq(agentConfig.a2aEnabled, true),
        ),
      )
      .limit(1),
  );
  return row ? toAgent(row) : null;
}

/** GET /a2a/agents: opted-in agents, by username (keyset), filtered by a capability and/or words. */
export async function listA2aAgents(
  db: Database,
  q: { skill?: string | undefined; q?: string | undefined; after?: string | null; limit: number },
): Promise<Page<A2aAgent>> {
  const conds: SQL[] = [eq(agents.status, "verified"), eq(agentConfig.a2aEnabled, true)];
  if (q.after) conds.push(sql`${agents.username} > ${q.after}`);
  if (q.skill) conds.push(sql`${agents.capabilities} @> ${JSON.stringify([q.skill])}::jsonb`);
  if (q.q?.trim()) conds.push(sql`${agents.search} @@ plainto_tsquery('simple', ${q.q.trim()})`);
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx
      .select(agentColumns)
      .from(agents)
      .innerJoin(agentConfig, eq(agentConfig.agentId, agents.id))
      .where(and(...conds))
      .orderBy(agents.username)
      .limit(q.limit + 1),
  );
  return pageOf(rows, q.limit, (r) => ({ u: r.username }), toAgent);
}

// ---------------------------------------------------------------- tasks

/** The agent's answer, stored on the task and turned into the A2A artifact. */
export interface A2aReply {
  content: string;
  content_type: ContentType;
  data?: Record<string, unknown> | null;
  schema?: string | null;
}

export interface A2aTaskView {
  id: string;
  context_id: string;
  /** the external identity, a2a:<name>@<host> */
  peer: string;
  state: A2aState;
  text: string;
  data: Record<string, unknown> | null;
  reply: A2aReply | null;
  status_note: string | null;
  created_at: string;
  updated_at: string;
}

/** The row plus what the A2A front door needs to rebuild the wire objects. */
export interface A2aTaskRecord extends A2aTaskView {
  agent_id: string;
  peer_key_id: string;
  request: Record<string, unknown>;
}

const taskColumns = {
  id: a2aTasks.id,
  agentId: a2aTasks.agentId,
  peerKeyId: a2aTasks.peerKeyId,
  peerLabel: a2aTasks.peerLabel,
  contextId: a2aTasks.contextId,
  state: a2aTasks.state,
  text: a2aTasks.text,
  data: a2aTasks.data,
  request: a2aTasks.request,
  reply: a2aTasks.reply,
  statusNote: a2aTasks.statusNote,
  t: timestampKey(a2aTasks.createdAt),
  createdAt: a2aTasks.createdAt,
  updatedAt: a2aTasks.updatedAt,
};

type TaskRow = {
  id: string;
  agentId: string;
  peerKeyId: string;
  peerLabel: string;
  contextId: string;
  state: string;
  text: string;
  data: Record<string, unknown> | null;
  request: Record<string, unknown>;
  reply: Record<string, unknown> | null;
  statusNote: string | null;
  t: string;
  createdAt: Date;
  updatedAt: Date;
};

function record(r: TaskRow): A2aTaskRecord {
  return {
    id: r.id,
    agent_id: r.agentId,
    peer_key_id: r.peerKeyId,
    context_id: r.contextId,
    peer: r.peerLabel,
    state: r.state as A2aState,
    text: r.text,
    data: r.data,
    request: r.request,
    reply: r.reply as A2aReply | null,
    status_note: r.statusNote,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function taskView(r: A2aTaskRecord): A2aTaskView {
  const { agent_id: _a, peer_key_id: _p, request: _r, ...view } = r;
  return view;
}

/** The peer's message as the agent will read it: text parts joined, the first data part as structured data. */
export interface InboundContent {
  text: string;
  data: Record<string, unknown> | null;
}

/** Why an inbound message cannot be delivered (null when it can): nothing readable, too long, bad data. */
export function inboundProblem(c: InboundContent): string | null {
  if (c.text.trim() === "" && c.data === null) return "the message has no text or data part";
  if (new TextEncoder().encode(c.text).byteLength > LIMITS.a2aTextBytes) {
    return `text exceeds ${LIMITS.a2aTextBytes} bytes`;
  }
  if (c.data !== null) {
    const p = structuredDataProblem(c.data);
    if (p) return `data part: ${p}`;
  }
  return null;
}

/** Store a new task from a peer (the front door has checked the token, the agent and the content). */
export async function createA2aTask(
  db: Database,
  input: {
    agentId: string;
    peerKeyId: string;
    peerLabel: string;
    contextId: string;
    content: InboundContent;
    request: Record<string, unknown>;
  },
): Promise<A2aTaskRecord> {
  const [row] = await withActor(db, SYSTEM, (tx) =>
    tx
      .insert(a2aTasks)
      .values({
        agentId: input.agentId,
        peerKeyId: input.peerKeyId,
        peerLabel: input.peerLabel,
        contextId: input.contextId,
        text: input.content.text,
        data: input.content.data,
        request: input.request,
      })
      .returning(taskColumns),
  );
  if (!row) throw new Error("a2a task not inserted");
  return record(row);
}

/** A task as its peer may see it: the same token that created it, for the same agent; else null. */
export async function peerTask(
  db: Database,
  peer: { keyId: string; agentId: string },
  taskId: string,
): Promise<A2aTaskRecord | null> {
  if (!/^[0-9a-f-]{36}$/i.test(taskId)) return null;
  const [row] = await withActor(db, SYSTEM, (tx) =>
    tx
      .select(taskColumns)
      .from(a2aTasks)
      .where(and(eq(a2aTasks.id, taskId), eq(a2aTasks.peerKeyId, peer.keyId), eq(a2aTasks.agentId, peer.agentId))),
  );
  return row ? record(row) : null;
}

/** ListTasks: the peer's own tasks with this agent, newest first (keyset on created_at, id). */
export async function peerTasks(
  db: Database,
  peer: { keyId: string; agentId: string },
  q: { contextId?: string; states?: A2aState[]; after?: { t: string; id: string } | null; limit: number },
): Promise<{ page: Page<A2aTaskRecord>; total: number }> {
  const conds: SQL[] = [eq(a2aTasks.peerKeyId, peer.keyId), eq(a2aTasks.agentId, peer.agentId)];
  if (q.contextId) conds.push(eq(a2aTasks.contextId, q.contextId));
  if (q.states?.length) conds.push(inArray(a2aTasks.state, q.states));
  const keyed = [...conds];
  if (q.after) {
    const at = sql`${q.after.t}::timestamptz`;
    const older = or(lt(a2aTasks.createdAt, at), and(eq(a2aTasks.createdAt, at), lt(a2aTasks.id, q.after.id)));
    if (older) keyed.push(older);
  }
  return withActor(db, SYSTEM, async (tx) => {
    const rows = await tx
      .select(taskColumns)
      .from(a2aTasks)
      .where(and(...keyed))
      .orderBy(desc(a2aTasks.createdAt), desc(a2aTasks.id))
      .limit(q.limit + 1);
    const [n] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(a2aTasks)
      .where(and(...conds));
    return { page: pageOf(rows, q.limit, (r) => ({ t: r.t, id: r.id }), record), total: n?.n ?? 0 };
  });
}

/**
 * A blocking SendMessage waits here for the agent's answer: until the task is terminal or `timeoutMs`
 * passed (then the caller answers WORKING and the peer polls GetTask). Polls the row; no CPU while asleep.
 */
export async function waitForAnswer(
  db: Database,
  peer: { keyId: string; agentId: string },
  taskId: string,
  timeoutMs: number,
  pollMs: number = LIMITS.a2aReplyPollMs,
): Promise<A2aTaskRecord | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await peerTask(db, peer, taskId);
    if (!t || isTerminal(t.state) || Date.now() >= deadline) return t;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

// ---------------------------------------------------------------- the agent's side (REST, as the agent)

/** GET /api/v1/a2a/tasks: the agent's tasks, newest first; `open` = submitted or working. */
export async function agentTasks(
  db: Database,
  agentId: string,
  q: { open: boolean; contextId?: string | undefined; after: { t: string; id: string } | null; limit: number },
): Promise<Page<A2aTaskView>> {
  const conds: SQL[] = [eq(a2aTasks.agentId, agentId)];
  if (q.open) conds.push(inArray(a2aTasks.state, OPEN_STATES));
  if (q.contextId) conds.push(eq(a2aTasks.contextId, q.contextId));
  if (q.after) {
    const at = sql`${q.after.t}::timestamptz`;
    const older = or(lt(a2aTasks.createdAt, at), and(eq(a2aTasks.createdAt, at), lt(a2aTasks.id, q.after.id)));
    if (older) conds.push(older);
  }
  const rows = await withActor(db, agentActor(agentId), (tx) =>
    tx
      .select(taskColumns)
      .from(a2aTasks)
      .where(and(...conds))
      .orderBy(desc(a2aTasks.createdAt), desc(a2aTasks.id))
      .limit(q.limit + 1),
  );
  return pageOf(
    rows,
    q.limit,
    (r) => ({ t: r.t, id: r.id }),
    (r) => taskView(record(r)),
  );
}

/** GET /api/v1/a2a/tasks/{id}: reading a submitted task moves it to working (the peer sees the agent on it). */
export async function readAgentTask(db: Database, agentId: string, taskId: string): Promise<A2aTaskView> {
  return withActor(db, agentActor(agentId), async (tx) => {
    await tx
      .update(a2aTasks)
      .set({ state: "working", updatedAt: new Date() })
      .where(and(eq(a2aTasks.id, taskId), eq(a2aTasks.agentId, agentId), eq(a2aTasks.state, "submitted")));
    const [row] = await tx
      .select(taskColumns)
      .from(a2aTasks)
      .where(and(eq(a2aTasks.id, taskId), eq(a2aTasks.agentId, agentId)));
    if (!row) throw notFound("task");
    return taskView(record(row));
  });
}

/**
 * The agent's answer: `completed` with the reply (the artifact), or `rejected` / `failed` with a note.
 * Once terminal a task never changes again (409). The caller has already spent the agent's outbound budget.
 */
export async function answerAgentTask(
  db: Database,
  agentId: string,
  taskId: string,
  answer: { state: "completed"; reply: A2aReply } | { state: "rejected" | "failed"; note: string | null },
): Promise<A2aTaskView> {
  if (answer.state === "completed" && answer.reply.content_type === "json") {
    const p = structuredDataProblem(answer.reply.data);
    if (p) throw new ApiError(400, "validation_failed", `body.data: ${p}`);
  }
  return withActor(db, agentActor(agentId), async (tx) => {
    const [row] = await tx
      .update(a2aTasks)
      .set({
        state: answer.state,
        updatedAt: new Date(),
        ...(answer.state === "completed"
          ? { reply: { ...answer.reply } as Record<string, unknown> }
          : { statusNote: answer.note }),
      })
      .where(and(eq(a2aTasks.id, taskId), eq(a2aTasks.agentId, agentId), inArray(a2aTasks.state, OPEN_STATES)))
      .returning(taskColumns);
    if (row) return taskView(record(row));
    const [exists] = await tx
      .select({ state: a2aTasks.state })
      .from(a2aTasks)
      .where(and(eq(a2aTasks.id, taskId), eq(a2aTasks.agentId, agentId)));
    if (!exists) throw notFound("task");
    throw conflict(`the task is already ${exists.state}`);
  });
}

// ---------------------------------------------------------------- peers

/** How an external peer is shown: a2a:<name>@<host>, from the peer token's name (host "external" if none). */
export function formatPeerLabel(name: string): string {
  const clean =
    name
      .toLowerCase()
      .replace(/[^a-z0-9._@-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 120) || "peer";
  return `a2a:${clean.includes("@") ? clean : `${clean}@external`}`;
}

/** The peer token's display label (its name as the minter gave it, e.g. "hermes@example.org"). */
export async function peerLabelOf(db: Database, keyId: string): Promise<string> {
  const r = await withActor(db, SYSTEM, (tx) => tx.execute(sql`select name from api_keys where id = ${keyId}::uuid`));
  const name = (r.rows[0] as { name?: string } | undefined)?.name;
  return formatPeerLabel(name ?? "peer");
}
