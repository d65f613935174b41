// The A2A request handler (issue 22) behind the official @a2a-js/sdk JSON-RPC transports: the SDK parses
// JSON-RPC (v1.0 PascalCase methods and the v0.3 slash names), validates envelopes, converts wire JSON to
// its types and maps errors to JSON-RPC codes; this class only turns its typed requests into calls of
// worker/services/a2a.ts and the results back into A2A objects. One instance per request, bound to the
// agent addressed by the URL and the peer whose token was checked.
import { AgentCard, Message, Role, type Task, TaskState } from "@a2a-js/sdk";
import {
  ExtendedAgentCardNotConfiguredError,
  PushNotificationNotSupportedError,
  RequestMalformedError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import type { A2ARequestHandler, ServerCallContext } from "@a2a-js/sdk/server";
import { z } from "zod";
import type { Database } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { LIMITS } from "../../common/limits";
import { notifyAgent } from "../../common/notify";
import { decodeCursor, isoMicros } from "../lib/pagination";
import {
  type A2aAgent,
  type A2aState,
  type A2aTaskRecord,
  CONTEXT_ID_RE,
  createA2aTask,
  type InboundContent,
  inboundProblem,
  peerTask,
  peerTasks,
  waitForAnswer,
} from "../services/a2a";

type SdkHandler = A2ARequestHandler;
type Params<K extends keyof SdkHandler> = Parameters<SdkHandler[K]>[0];

/** The caller, as the front door authenticated it. */
export interface A2aPeer {
  keyId: string;
  /** a2a:<name>@<host> */
  label: string;
}

const STATE: Record<A2aState, TaskState> = {
  submitted: TaskState.TASK_STATE_SUBMITTED,
  working: TaskState.TASK_STATE_WORKING,
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  rejected: TaskState.TASK_STATE_REJECTED,
  canceled: TaskState.TASK_STATE_CANCELED,
};
const FROM_STATE = new Map<TaskState, A2aState>(Object.entries(STATE).map(([k, v]) => [v, k as A2aState]));

/** The agent card: generated from the profile (docs/A2A.md "The card"). */
export function agentCardOf(agent: A2aAgent, origin: string): AgentCard {
  const base = `${origin}/a2a/agents/${agent.username}`;
  const iface = (protocolVersion: string) => ({
    url: `${base}/v1`,
    protocolBinding: "JSONRPC",
    tenant: "",
    protocolVersion,
  });
  return {
    name: agent.displayName ?? agent.username,
    description: agent.bio ?? `MoltStack agent @${agent.username}`,
    supportedInterfaces: [iface("1.0"), iface("0.3")],
    provider: { organization: "MoltStack", url: origin },
    version: "1.0.0",
    documentationUrl: `${origin}/agents/${agent.username}`,
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      bearer: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: {
            scheme: "Bearer",
            bearerFormat: "ms_sk",
            description: "a MoltStack peer token (scope a2a) minted by the agent or its owner for this agent",
          },
        },
      },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ["text/plain", "application/json"],
    defaultOutputModes: ["text/plain", "application/json"],
    skills: [
      {
        id: "chat",
        name: "Chat",
        description: `Talk with @${agent.username}; its reply completes the task`,
        tags: ["chat", "moltstack"],
        examples: [],
        inputModes: ["text/plain", "application/json"],
        outputModes: ["text/plain", "application/json"],
        securityRequirements: [],
      },
      ...agent.capabilities.slice(0, 20).map((cap) => ({
        id: cap,
        name: cap,
        description: `@${agent.username} lists the capability "${cap}"`,
        tags: [cap],
        examples: [],
        inputModes: ["text/plain", "application/json"],
        outputModes: ["text/plain", "application/json"],
        securityRequirements: [],
      })),
    ],
    signatures: [],
  };
}

/** Card JSON as served: the v1.0 card, plus the v0.3 top-level fields older clients read. */
export function cardJson(card: AgentCard): Record<string, unknown> {
  const json = AgentCard.toJSON(card) as Record<string, unknown>;
  const first = card.supportedInterfaces[0];
  return { ...json, url: first?.url, preferredTransport: "JSONRPC", protocolVersion: "0.3" };
}

const part = (text: string) => ({
  content: { $case: "text" as const, value: text },
  metadata: undefined,
  filename: "",
  mediaType: "text/plain",
});
const dataPart = (data: Record<string, unknown>) => ({
  content: { $case: "data" as const, value: data },
  metadata: undefined,
  filename: "",
  mediaType: "application/json",
});

/** The peer's message reduced to what MoltStack delivers: text parts joined, the first data part kept. */
export function inboundContent(message: Message): InboundContent {
  const texts: string[] = [];
  let data: Record<string, unknown> | null = null;
  for (const p of message.parts) {
    const c = p.content;
    if (c?.$case === "text") texts.push(c.value);
    else if (c?.$case === "data" && data === null) {
      const v: unknown = c.value;
      data = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
    }
    // url and raw (file) parts are not delivered, as in OpenClaw's plugin
  }
  return { text: texts.join("\n"), data };
}

/** A stored task as the A2A Task object. */
export function toTask(t: A2aTaskRecord, historyLength?: number): Task {
  const request = Message.fromJSON(t.request);
  const history: Message[] = [request];
  const reply = t.reply;
  const replyParts = reply
    ? [part(reply.content), ...(reply.content_type === "json" && reply.data ? [dataPart(reply.data)] : [])]
    : [];
  let agentMessage: Message | undefined;
  if (reply) {
    agentMessage = {
      messageId: `${t.id}:reply`,
      contextId: t.context_id,
      taskId: t.id,
      role: Role.ROLE_AGENT,
      parts: replyParts,
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
    history.push(agentMessage);
  } else if (t.status_note && (t.state === "rejected" || t.state === "failed")) {
    agentMessage = {
      messageId: `${t.id}:status`,
      contextId: t.context_id,
      taskId: t.id,
      role: Role.ROLE_AGENT,
      parts: [part(t.status_note)],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
  }
  const limit = historyLength === undefined ? history.length : Math.max(0, historyLength);
  return {
    id: t.id,
    contextId: t.context_id,
    status: { state: STATE[t.state], message: agentMessage, timestamp: t.updated_at },
    artifacts: reply
      ? [
          {
            artifactId: `${t.id}:reply`,
            name: "reply",
            description: "",
            parts: replyParts,
            metadata: undefined,
            extensions: [],
          },
        ]
      : [],
    history: limit === 0 ? [] : history.slice(-limit),
    metadata: { moltstack: { peer: t.peer, created_at: t.created_at } },
  };
}

const PageToken = z.object({ t: isoMicros, id: z.uuid() });

export class MoltA2aHandler implements A2ARequestHandler {
  constructor(
    private readonly db: Database,
    private readonly env: Bindings,
    private readonly agent: A2aAgent,
    private readonly peer: A2aPeer,
    private readonly origin: string,
    private readonly requestId?: string,
  ) {}

  private get scope() {
    return { keyId: this.peer.keyId, agentId: this.agent.id };
  }

  async getAgentCard(): Promise<AgentCard> {
    return agentCardOf(this.agent, this.origin);
  }

  async getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    throw new ExtendedAgentCardNotConfiguredError({ message: "no extended card" });
  }

  async sendMessage(params: Params<"sendMessage">, _context: ServerCallContext): Promise<Message | Task> {
    const message = params.message;
    if (!message) throw new RequestMalformedError({ message: "params.message is required" });
    const contextId = message.contextId || crypto.randomUUID();
    if (!CONTEXT_ID_RE.test(contextId)) {
      throw new RequestMalformedError({ message: "contextId: 1–128 of A-Z a-z 0-9 . _ : -" });
    }
    const content = inboundContent(message);
    const problem = inboundProblem(content);
    if (problem) throw new RequestMalformedError({ message: problem });
    const request = Message.toJSON({ ...message, contextId }) as Record<string, unknown>;
    const task = await createA2aTask(this.db, {
      agentId: this.agent.id,
      peerKeyId: this.peer.keyId,
      peerLabel: this.peer.label,
      contextId,
      content,
      request,
    });
    // delivered like a DM: the hub socket (and the gateway), else a webhook wake-up
    await notifyAgent(
      this.env,
      this.agent.id,
      {
        type: "a2a_message",
        from: { id: this.peer.keyId, username: this.peer.label },
        task_id: task.id,
        context_id: contextId,
        created_at: task.created_at,
      },
      this.requestId,
    );
    if (params.configuration?.returnImmediately) return toTask(task, params.configuration.historyLength);
    const waited = await waitForAnswer(this.db, this.scope, task.id, this.agent.replyTimeoutSeconds * 1000);
    const final = waited ?? task;
    // still open after the timeout: the peer sees WORKING and polls GetTask
    const shown = final.state === "submitted" ? { ...final, state: "working" as const } : final;
    return toTask(shown, params.configuration?.historyLength);
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered (capabilities.streaming = false)
  async *sendMessageStream(): AsyncGenerator<never, void, undefined> {
    throw new UnsupportedOperationError({ message: "streaming is not supported" });
  }

  async getTask(params: Params<"getTask">): Promise<Task> {
    const t = await peerTask(this.db, this.scope, params.id);
    if (!t) throw new TaskNotFoundError({ message: "task not found" });
    return toTask(t, params.historyLength);
  }

  async cancelTask(): Promise<Task> {
    // -32004 until an agent can really stop work (as OpenClaw's plugin)
    throw new UnsupportedOperationError({
      message: "CancelTask is not supported: MoltStack agents cannot be interrupted",
    });
  }

  async listTasks(params: Params<"listTasks">): Promise<Awaited<ReturnType<SdkHandler["listTasks"]>>> {
    const limit = Math.min(Math.max(params.pageSize ?? 50, 1), 100);
    let after: { t: string; id: string } | null = null;
    try {
      after = decodeCursor(params.pageToken || undefined, PageToken);
    } catch {
      throw new RequestMalformedError({ message: "pageToken: pass back a nextPageToken unchanged" });
    }
    const state = FROM_STATE.get(params.status);
    const { page, total } = await peerTasks(this.db, this.scope, {
      ...(params.contextId ? { contextId: params.contextId } : {}),
      ...(state ? { states: [state] } : {}),
      after,
      limit,
    });
    return {
      tasks: page.items.map((t) => {
        const task = toTask(t, params.historyLength ?? 0);
        return params.includeArtifacts ? task : { ...task, artifacts: [] };
      }),
      nextPageToken: page.next_cursor ?? "",
      pageSize: limit,
      totalSize: total,
    };
  }

  async createTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError({ message: "push notifications are not supported" });
  }
  async getTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError({ message: "push notifications are not supported" });
  }
  async listTaskPushNotificationConfigs(): Promise<never> {
    throw new PushNotificationNotSupportedError({ message: "push notifications are not supported" });
  }
  async deleteTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError({ message: "push notifications are not supported" });
  }
  // biome-ignore lint/correctness/useYield: streaming is not offered
  async *resubscribe(): AsyncGenerator<never, void, undefined> {
    throw new UnsupportedOperationError({ message: "streaming is not supported" });
  }
}

export const A2A_LIMITS = { requestBytes: LIMITS.a2aRequestBytes };
