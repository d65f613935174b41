import { describe, expect, it } from "vitest";
import { api, createAgent, type TestAgent, uniqueName } from "../../test/helpers";

interface Rpc {
  jsonrpc: string;
  id: unknown;
  result?: Record<string, unknown> & {
    task?: {
      id: string;
      contextId: string;
      status: { state: string };
      artifacts?: { parts: Record<string, unknown>[] }[];
    };
  };
  error?: { code: number; message: string };
}
interface TaskBody {
  id: string;
  state: string;
  text: string;
  data: Record<string, unknown> | null;
  peer: string;
  context_id: string;
}

async function a2aAgent(opts: { capabilities?: string[]; timeout?: number } = {}): Promise<TestAgent> {
  const a = await createAgent({ username: uniqueName("a2a") });
  const patch: Record<string, unknown> = { a2a_enabled: true };
  if (opts.timeout) patch.a2a_reply_timeout_seconds = opts.timeout;
  const res = await api("PATCH", "/api/v1/agents/@me/config", { token: a.token, body: patch });
  expect(res.status).toBe(200);
  if (opts.capabilities) {
    const p = await api("PATCH", "/api/v1/agents/@me", { token: a.token, body: { capabilities: opts.capabilities } });
    expect(p.status).toBe(200);
  }
  return a;
}

/** A peer token minted by `owner` (for external callers; bound to `peer` when given). */
async function peerToken(owner: TestAgent, name = "hermes@example.org", peer?: string): Promise<string> {
  const res = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
    token: owner.token,
    body: { name, scopes: ["a2a"], ...(peer ? { peer_agent_id: peer } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.key;
}

let ip = 0;
const rpc = (username: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  api<Rpc>("POST", `/a2a/agents/${username}/v1`, {
    ...(token ? { token } : {}),
    body,
    headers: { "cf-connecting-ip": `10.22.0.${(ip++ % 250) + 1}`, ...headers },
  });

const send = (text: string, extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id: 1,
  method: "SendMessage",
  params: {
    message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text }], ...extra },
    configuration: { returnImmediately: true, ...config },
  },
});

describe("A2A agent cards and the registry", () => {
  it("publishes a card only for a verified agent that opted in; others are 404", async () => {
    const a = await createAgent({ username: uniqueName("a2a") });
    expect((await api("GET", `/a2a/agents/${a.username}/.well-known/agent-card.json`)).status).toBe(404);
    await api("PATCH", "/api/v1/agents/@me/config", { token: a.token, body: { a2a_enabled: true } });
    for (const file of ["agent-card.json", "agent.json"]) {
      const res = await api<Record<string, unknown>>("GET", `/a2a/agents/${a.username}/.well-known/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.body.name).toBe(a.username);
      expect(res.body.supportedInterfaces).toContainEqual({
        url: `http://moltstack.test/a2a/agents/${a.username}/v1`,
        protocolBinding: "JSONRPC",
        protocolVersion: "1.0",
      });
      expect(Object.keys(res.body.securitySchemes as object)).toEqual(["bearer"]);
    }
    const pending = await createAgent({ status: "pending" });
    expect((await api("GET", `/a2a/agents/${pending.username}/.well-known/agent-card.json`)).status).toBe(404);
    expect((await api("GET", "/a2a/agents/nobody-here/.well-known/agent-card.json")).status).toBe(404);
  });

  it("describes MoltStack itself with a directory skill, and lists opted-in agents by skill, keyset-paginated", async () => {
    const card = await api<{ skills: { id: string }[] }>("GET", "/.well-known/agent-card.json");
    expect(card.status).toBe(200);
    expect(card.body.skills.map((s) => s.id)).toContain("directory");
    const skill = uniqueName("sk");
    const one = await a2aAgent({ capabilities: [skill] });
    const two = await a2aAgent({ capabilities: [skill] });
    await createAgent(); // not opted in: never listed
    const first = await api<{ agents: { name: string }[]; next_cursor: string | null }>(
      "GET",
      `/a2a/agents?skill=${skill}&limit=1`,
    );
    expect(first.status).toBe(200);
    expect(first.body.agents).toHaveLength(1);
    expect(first.body.next_cursor).not.toBeNull();
    const second = await api<{ agents: { name: string }[]; next_cursor: string | null }>(
      "GET",
      `/a2a/agents?skill=${skill}&limit=1&cursor=${first.body.next_cursor}`,
    );
    expect([...first.body.agents, ...second.body.agents].map((x) => x.name).sort()).toEqual(
      [one.username, two.username].sort(),
    );
    expect(second.body.next_cursor).toBeNull();
    expect((await api("GET", "/a2a/agents?cursor=%%%")).status).toBe(400);
  });
});

describe("POST /a2a/agents/{username}/v1 (JSON-RPC)", () => {
  it("needs a peer token for this very agent: none, a plain key, or another agent's token is 401", async () => {
    const x = await a2aAgent();
    const y = await a2aAgent();
    const tokenX = await peerToken(x);
    expect((await rpc(x.username, undefined, send("hi"))).status).toBe(401);
    expect((await rpc(x.username, x.token, send("hi"))).status).toBe(401); // a JWT is not a peer token
    const readKey = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
      token: x.token,
      body: { name: "reader", scopes: ["read"] },
    });
    expect((await rpc(x.username, readKey.body.key, send("hi"))).status).toBe(401);
    const bola = await rpc(y.username, tokenX, send("hi"));
    expect(bola.status).toBe(401);
    expect(bola.body.error?.message).toMatch(/peer token/);
    // a token another agent minted bound to y reaches y, not x
    const a = await createAgent();
    const bound = await peerToken(a, "a-bot", y.id);
    expect((await rpc(y.username, bound, send("hi"))).body.result?.task?.status.state).toBe("TASK_STATE_SUBMITTED");
    expect((await rpc(x.username, bound, send("hi"))).status).toBe(401);
  });

  it("delivers a task to the agent, who reads it (WORKING) and answers it (COMPLETED, the reply as artifact)", async () => {
    const x = await a2aAgent();
    const token = await peerToken(x);
    const sent = await rpc(x.username, token, send("what is 2+2?", { contextId: "ctx-1" }), { "A2A-Version": "1.0" });
    expect(sent.status).toBe(200);
    const task = sent.body.result?.task;
    expect(task?.status.state).toBe("TASK_STATE_SUBMITTED");
    expect(task?.contextId).toBe("ctx-1");

    const open = await api<{ items: TaskBody[] }>("GET", "/api/v1/a2a/tasks", { token: x.token });
    expect(open.body.items.map((t) => t.id)).toEqual([task?.id]);
    expect(open.body.items[0]?.peer).toBe("a2a:hermes@example.org");
    const read = await api<TaskBody>("GET", `/api/v1/a2a/tasks/${task?.id}`, { token: x.token });
    expect(read.body.state).toBe("working");
    expect(read.body.text).toBe("what is 2+2?");
    const get = { jsonrpc: "2.0", id: 2, method: "GetTask", params: { id: task?.id } };
    expect((await rpc(x.username, token, get)).body.result?.status).toMatchObject({ state: "TASK_STATE_WORKING" });

    const answered = await api<TaskBody>("POST", `/api/v1/a2a/tasks/${task?.id}/reply`, {
      token: x.token,
      body: { content: "4" },
    });
    expect(answered.status).toBe(200);
    expect(answered.body.state).toBe("completed");
    const done = await rpc(x.username, token, get);
    expect(done.body.result?.status).toMatchObject({ state: "TASK_STATE_COMPLETED" });
    expect(done.body.result?.artifacts).toEqual([
      expect.objectContaining({ parts: [{ text: "4", mediaType: "text/plain" }] }),
    ]);
    // answered once
    expect(
      (await api("POST", `/api/v1/a2a/tasks/${task?.id}/reply`, { token: x.token, body: { content: "5" } })).status,
    ).toBe(409);
    // another agent cannot read or answer it
    const other = await createAgent();
    expect((await api("GET", `/api/v1/a2a/tasks/${task?.id}`, { token: other.token })).status).toBe(404);
  });

  it("speaks v0.3 (message/send, tasks/get with kind parts) and turns a data part into structured data", async () => {
    const x = await a2aAgent();
    const token = await peerToken(x);
    const legacy = {
      jsonrpc: "2.0",
      id: "a",
      method: "message/send",
      params: {
        message: {
          kind: "message",
          messageId: crypto.randomUUID(),
          role: "user",
          parts: [
            { kind: "text", text: "plan" },
            { kind: "data", data: { steps: [1, 2] } },
          ],
        },
        configuration: { blocking: false },
      },
    };
    const res = await rpc(x.username, token, legacy);
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ kind: "task", status: { state: "submitted" } });
    const id = (res.body.result as { id: string }).id;
    const t = await api<TaskBody>("GET", `/api/v1/a2a/tasks/${id}`, { token: x.token });
    expect(t.body.data).toEqual({ steps: [1, 2] });
    await api("POST", `/api/v1/a2a/tasks/${id}/reply`, {
      token: x.token,
      body: { content: "ok", content_type: "json", data: { done: true } },
    });
    const got = await rpc(x.username, token, { jsonrpc: "2.0", id: "b", method: "tasks/get", params: { id } });
    expect(got.body.result).toMatchObject({ kind: "task", status: { state: "completed" } });
    expect(JSON.stringify(got.body.result)).toContain('"done":true');
  });

  it("waits for the reply on a blocking send, and answers WORKING when the agent is slower than its timeout", async () => {
    const x = await a2aAgent({ timeout: 5 });
    const token = await peerToken(x);
    const pending = rpc(x.username, token, send("blocking", {}, { returnImmediately: false }));
    let id: string | undefined;
    for (let i = 0; i < 40 && !id; i++) {
      const open = await api<{ items: TaskBody[] }>("GET", "/api/v1/a2a/tasks", { token: x.token });
      id = open.body.items[0]?.id;
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    await api("POST", `/api/v1/a2a/tasks/${id}/reply`, { token: x.token, body: { content: "done" } });
    const res = await pending;
    expect(res.body.result?.task?.status.state).toBe("TASK_STATE_COMPLETED");

    const slow = await rpc(x.username, token, send("nobody answers", {}, { returnImmediately: false }));
    expect(slow.body.result?.task?.status.state).toBe("TASK_STATE_WORKING");
  }, 20_000);

  it("refuses CancelTask with -32004, lists only the caller's own tasks, and a declined task is REJECTED", async () => {
    const x = await a2aAgent();
    const mine = await peerToken(x, "one@a.example");
    const theirs = await peerToken(x, "two@b.example");
    const t1 = (await rpc(x.username, mine, send("m1", { contextId: "c1" }))).body.result?.task;
    await rpc(x.username, theirs, send("t1"));
    const cancel = await rpc(x.username, mine, { jsonrpc: "2.0", id: 3, method: "CancelTask", params: { id: t1?.id } });
    expect(cancel.body.error?.code).toBe(-32004);
    const list = await rpc(x.username, mine, { jsonrpc: "2.0", id: 4, method: "ListTasks", params: {} });
    expect(((list.body.result?.tasks ?? []) as { id: string }[]).map((t) => t.id)).toEqual([t1?.id]);
    // the other peer's GetTask of my task: not found
    const foreign = await rpc(x.username, theirs, { jsonrpc: "2.0", id: 5, method: "GetTask", params: { id: t1?.id } });
    expect(foreign.body.error?.code).toBe(-32001);
    await api("POST", `/api/v1/a2a/tasks/${t1?.id}/decline`, { token: x.token, body: { reason: "not my job" } });
    const got = await rpc(x.username, mine, { jsonrpc: "2.0", id: 6, method: "GetTask", params: { id: t1?.id } });
    expect(got.body.result?.status).toMatchObject({ state: "TASK_STATE_REJECTED" });
  });

  it("answers malformed and hostile bodies with JSON-RPC errors, never a 500", async () => {
    const x = await a2aAgent();
    const token = await peerToken(x);
    const bodies: unknown[] = [
      "not json",
      [],
      [send("batch")],
      42,
      null,
      {},
      { jsonrpc: "2.0" },
      { jsonrpc: "2.0", id: 1, method: "Nope", params: {} },
      { jsonrpc: "2.0", id: 1, method: "SendMessage", params: "x" },
      { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { parts: "x" } } },
      { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId: "m", parts: [] } } },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "SendMessage",
        params: { message: { messageId: "m", parts: [{ text: "x" }], contextId: "bad id!" } },
      },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "SendMessage",
        params: { message: { messageId: "m", parts: [{ text: "x".repeat(70_000) }] } },
      },
      { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "../../etc" } },
      { jsonrpc: "2.0", id: 1, method: "ListTasks", params: { pageToken: "%%%" } },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "SendStreamingMessage",
        params: { message: { messageId: "m", parts: [{ text: "x" }] } },
      },
      { jsonrpc: "2.0", id: 1, method: "message/stream", params: { message: { messageId: "m", parts: [] } } },
      { jsonrpc: "2.0", id: 1, method: "tasks/pushNotificationConfig/set", params: {} },
      { jsonrpc: "2.0", id: 1, method: "__proto__", params: { constructor: { prototype: {} } } },
    ];
    for (const b of bodies) {
      const res = await api<Rpc>("POST", `/a2a/agents/${x.username}/v1`, {
        token,
        ...(typeof b === "string" ? { rawBody: b, headers: { "content-type": "application/json" } } : { body: b }),
      });
      expect(res.status, JSON.stringify(b).slice(0, 80)).toBeLessThan(500);
      expect(res.body.error?.code, JSON.stringify(b).slice(0, 80)).toEqual(expect.any(Number));
    }
    const v = await rpc(x.username, token, send("x"), { "A2A-Version": "9.9" });
    expect(v.body.error?.code).toBe(-32009);
    const huge = await api<Rpc>("POST", `/a2a/agents/${x.username}/v1`, {
      token,
      rawBody: JSON.stringify(send("x".repeat(1_100_000))),
      headers: { "content-type": "application/json" },
    });
    expect(huge.status).toBe(413);
  }, 30_000);

  it("limits each peer to 30 calls a minute (a JSON-RPC error with HTTP 200)", async () => {
    const x = await a2aAgent();
    const token = await peerToken(x);
    const get = { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: crypto.randomUUID() } };
    const codes: number[] = [];
    for (let i = 0; i < 31; i++) codes.push((await rpc(x.username, token, get)).body.error?.code ?? 0);
    expect(codes.slice(0, 30).every((c) => c === -32001)).toBe(true);
    expect(codes[30]).toBe(-32029);
  }, 30_000);
});
