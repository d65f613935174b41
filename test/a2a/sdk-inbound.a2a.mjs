// Inbound A2A interop (issue 22): the official @a2a-js/sdk as CLIENT against a MoltStack agent on a real
// stack. The client discovers the agent card, picks the JSON-RPC interface, sends with its own transport
// (v1.0, and the v0.3 compat transport), and gets the agent's reply as the task's artifact. The MoltStack
// agent is driven by MoltStack's own SDK: it hears the task on its hub socket (like a DM) and answers it.
import fs from "node:fs";
import path from "node:path";
import { ClientFactory, createAuthenticatingFetchWithRetry, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, MoltStackClient } from "../../sdk/src/index";
import { root, startStack } from "../e2e/stack.mjs";
import { randomIp as ip, rest } from "../support/rest.mjs";

let stack;
beforeAll(async () => {
  // wrangler refuses to start without the assets folder; the UI itself is not needed here
  fs.mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  // MOLTSTACK_URL (npm run test:proofs) points it at an already started stack
  stack = await startStack({ ui: false, reuse: true });
  console.log(`[a2a] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
});
afterAll(async () => {
  await stack?.stop();
});

/** A MoltStack agent that opted into A2A, and a peer token it minted for an external caller. */
async function a2aAgent(base, label) {
  const username = `a2a_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const client = await MoltStackClient.register({
    baseUrl: base,
    username,
    key: await generateKey(),
    headers: { "CF-Connecting-IP": ip() },
  });
  const token = client.tokens.apiToken;
  expect(
    (
      await rest(base, "PATCH", "/api/v1/agents/@me/config", token, {
        a2a_enabled: true,
        a2a_reply_timeout_seconds: 30,
      })
    ).status,
  ).toBe(200);
  const key = await rest(base, "POST", "/api/v1/agents/@me/keys", token, { name: label, scopes: ["a2a"] });
  expect(key.status).toBe(201);
  return { client, username, token, peerToken: key.body.key };
}

/** The official client, authenticating with the peer token. */
function factory(peerToken, legacy = false) {
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ authorization: `Bearer ${peerToken}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  return new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl, ...(legacy ? { legacyCompat: { enabled: true } } : {}) })],
    ...(legacy ? {} : {}),
  });
}

/** The agent's loop: every a2a_message on its hub is read and answered through REST. */
function answerEverything(agent, answer) {
  const hub = agent.client.hub();
  const seen = [];
  hub.on("a2a_message", async (e) => {
    seen.push(e);
    const task = await rest(stack.base, "GET", `/api/v1/a2a/tasks/${e.task_id}`, agent.token);
    await rest(stack.base, "POST", `/api/v1/a2a/tasks/${e.task_id}/reply`, agent.token, answer(task.body));
  });
  return { hub, seen };
}

describe("@a2a-js/sdk as client → a MoltStack agent", () => {
  it("discovers the card, sends (blocking) and gets the agent's reply as the completed task's artifact", async () => {
    const agent = await a2aAgent(stack.base, "sdk-client@tests.example");
    const { hub, seen } = answerEverything(agent, (t) => ({ content: `echo: ${t.text}` }));
    await new Promise((r) => hub.once("open", r));
    try {
      const client = await factory(agent.peerToken).createFromUrl(`${stack.base}/a2a/agents/${agent.username}/`);
      const result = await client.sendMessage({
        message: {
          messageId: crypto.randomUUID(),
          role: 1, // ROLE_USER
          parts: [
            {
              content: { $case: "text", value: "hello from the official SDK" },
              metadata: undefined,
              filename: "",
              mediaType: "text/plain",
            },
          ],
          contextId: "sdk-ctx-1",
          taskId: "",
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        },
        configuration: undefined,
        metadata: undefined,
        tenant: "",
      });
      const task = "status" in result ? result : (result.task ?? result);
      expect(task.status.state).toBe(3); // TASK_STATE_COMPLETED
      expect(task.contextId).toBe("sdk-ctx-1");
      expect(task.artifacts[0].parts[0].content).toEqual({ $case: "text", value: "echo: hello from the official SDK" });
      expect(seen[0].from).toBe("a2a:sdk-client@tests.example");
      expect(seen[0].context_id).toBe("sdk-ctx-1");

      // GetTask and ListTasks through the SDK; CancelTask is refused (-32004)
      const again = await client.getTask({ id: task.id, tenant: "" });
      expect(again.status.state).toBe(3);
      const listed = await client.listTasks({
        tenant: "",
        contextId: "",
        status: 0,
        pageToken: "",
        statusTimestampAfter: undefined,
      });
      expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
      await expect(client.cancelTask({ id: task.id, tenant: "", metadata: undefined })).rejects.toThrow();
    } finally {
      hub.close();
    }
  });

  it("works through the SDK's v0.3 compat transport too (message/send, tasks/get)", async () => {
    const agent = await a2aAgent(stack.base, "legacy@tests.example");
    const { hub } = answerEverything(agent, () => ({
      content: "structured",
      content_type: "json",
      data: { ok: true },
    }));
    await new Promise((r) => hub.once("open", r));
    try {
      const card = (await rest(stack.base, "GET", `/a2a/agents/${agent.username}/.well-known/agent-card.json`)).body;
      const legacyCard = {
        ...card,
        supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === "0.3"),
      };
      const { AgentCard } = await import("@a2a-js/sdk");
      const client = await factory(agent.peerToken, true).createFromAgentCard(AgentCard.fromJSON(legacyCard));
      const result = await client.sendMessage({
        message: {
          messageId: crypto.randomUUID(),
          role: 1,
          parts: [
            {
              content: { $case: "data", value: { ask: "status" } },
              metadata: undefined,
              filename: "",
              mediaType: "application/json",
            },
          ],
          contextId: "",
          taskId: "",
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        },
        configuration: undefined,
        metadata: undefined,
        tenant: "",
      });
      const task = "status" in result ? result : (result.task ?? result);
      expect(task.status.state).toBe(3);
      const parts = task.artifacts[0].parts.map((p) => p.content);
      expect(parts).toContainEqual({ $case: "data", value: { ok: true } });
    } finally {
      hub.close();
    }
  });

  it("a peer token for one agent is refused by another agent's endpoint", async () => {
    const x = await a2aAgent(stack.base, "x-peer");
    const y = await a2aAgent(stack.base, "y-peer");
    const client = await factory(x.peerToken).createFromUrl(`${stack.base}/a2a/agents/${y.username}/`);
    await expect(client.getTask({ id: crypto.randomUUID(), tenant: "" })).rejects.toThrow();
  });
});
