// Fuzzing the A2A JSON-RPC endpoint (issue 22): random envelopes, methods (v1.0, v0.3 and made-up ones),
// params and parts, with a valid peer token. Every answer must be a JSON-RPC 2.0 object with a numeric
// error code or a result, never a 5xx, never a stack trace. The SDK parses; our handler must not crash.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createAgent, type TestAgent } from "../helpers";
import { FULL } from "./support";

const METHODS = [
  "SendMessage",
  "message/send",
  "GetTask",
  "tasks/get",
  "CancelTask",
  "tasks/cancel",
  "ListTasks",
  "SendStreamingMessage",
  "message/stream",
  "SubscribeToTask",
  "tasks/resubscribe",
  "GetExtendedAgentCard",
  "CreateTaskPushNotificationConfig",
  "tasks/pushNotificationConfig/set",
  "constructor",
  "__proto__",
  "",
];

const nasty = fc.constantFrom("", "\u0000", "\ud800", "x".repeat(70_000), "../../", "<script>", "💥", "-1", "null");
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nasty);
const part = fc.oneof(
  fc.record({ text: fc.oneof(fc.string(), nasty) }),
  fc.record({ kind: fc.constantFrom("text", "data", "file"), text: anyValue, data: anyValue }),
  fc.record({ data: anyValue, mediaType: fc.string() }),
  fc.record({ url: fc.oneof(fc.webUrl(), nasty), raw: fc.base64String() }),
  anyValue,
);
const message = fc.record(
  {
    messageId: fc.oneof(fc.uuid(), nasty),
    role: fc.constantFrom("ROLE_USER", "ROLE_AGENT", "user", "agent", 7),
    parts: fc.oneof(fc.array(part, { maxLength: 4 }), anyValue),
    contextId: fc.oneof(fc.string({ maxLength: 140 }), nasty),
    taskId: fc.oneof(fc.uuid(), nasty),
    kind: fc.constantFrom("message", "task"),
  },
  { requiredKeys: [] },
);
const params = fc.oneof(
  fc.record(
    {
      message,
      configuration: fc.record({
        returnImmediately: fc.constant(true),
        blocking: fc.constant(false),
        historyLength: anyValue,
      }),
      id: fc.oneof(fc.uuid(), nasty),
      pageToken: fc.oneof(fc.string(), nasty),
      pageSize: anyValue,
      status: anyValue,
      tenant: fc.oneof(fc.string(), nasty),
    },
    { requiredKeys: [] },
  ),
  anyValue,
);
const envelope = fc.oneof(
  fc.record(
    {
      jsonrpc: fc.oneof(fc.constant("2.0"), anyValue),
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), anyValue),
      method: fc.oneof(fc.constantFrom(...METHODS), fc.string()),
      params,
    },
    { requiredKeys: ["jsonrpc", "method"] },
  ),
  anyValue,
);

let agent: TestAgent;
let token: string;

beforeAll(async () => {
  agent = await createAgent();
  await api("PATCH", "/api/v1/agents/@me/config", { token: agent.token, body: { a2a_enabled: true } });
  const key = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
    token: agent.token,
    body: { name: "fuzzer@example.org", scopes: ["a2a"] },
  });
  token = key.body.key;
});

describe("fuzzing the A2A JSON-RPC endpoint", () => {
  it("answers every body with a JSON-RPC object (a result or a numeric error code), never a 5xx", {
    timeout: FULL ? 1_200_000 : 120_000,
  }, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(envelope, async (body) => {
        n++;
        // a fresh peer token per 25 calls: the per-peer limit (30/min) is not what is under test
        if (n % 25 === 0) {
          const key = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
            token: agent.token,
            body: { name: `fuzzer-${n}`, scopes: ["a2a"] },
          });
          token = key.body.key;
        }
        const res = await api<{ jsonrpc?: string; result?: unknown; error?: { code?: unknown; message?: unknown } }>(
          "POST",
          `/a2a/agents/${agent.username}/v1`,
          { token, rawBody: JSON.stringify(body) ?? "null", headers: { "content-type": "application/json" } },
        );
        expect(res.status).toBeLessThan(500);
        expect(res.body.jsonrpc).toBe("2.0");
        if (res.body.error) expect(typeof res.body.error.code).toBe("number");
        else expect(res.body).toHaveProperty("result");
        expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
      }),
      { numRuns: FULL ? 1000 : 120 },
    );
  });
});
