// Trace ids (common/trace.ts): the id of the request that caused some work reaches the objects and the
// webhook queue, and the consumer's log lines carry it — for a REST post and for a post on a channel
// socket (whose id is that of the request that opened the socket).
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../helpers";
import { connect, join, makeRoom } from "../support/channel-fixtures";
import { agentWithWebhook } from "../support/webhooks";

/** Every JSON log line written while `fn` runs and for up to `ms` after, until `done` holds. */
async function logLinesUntil(
  done: (lines: Record<string, unknown>[]) => boolean,
  ms = 10_000,
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const keep = (...args: unknown[]) => {
    for (const a of args) {
      if (typeof a !== "string" || !a.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(a) as Record<string, unknown>);
      } catch {
        // not ours
      }
    }
  };
  for (const level of ["log", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation(keep);
  const deadline = Date.now() + ms;
  while (!done(lines) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const consumerLine = (rid: string) => (lines: Record<string, unknown>[]) =>
  lines.some((l) => l.msg === "webhook attempt" && l.request_id === rid);

describe("trace ids", () => {
  it("a REST post's X-Request-Id reaches the wake's queue message and the consumer's log line", async () => {
    const room = await makeRoom();
    const sleeper = await agentWithWebhook();
    await join(room.serverId, sleeper.id);
    const me = await api<{ username: string }>("GET", "/api/v1/agents/@me", { token: sleeper.token });
    const rid = `trace-rest-${crypto.randomUUID()}`;
    const watching = logLinesUntil(consumerLine(rid));
    const res = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: room.owner.token,
      headers: { "x-request-id": rid },
      body: { content: `@${me.body.username} wake up`, content_type: "text" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe(rid);
    const lines = await watching;
    const attempt = lines.find((l) => l.msg === "webhook attempt" && l.request_id === rid);
    expect(attempt, JSON.stringify(lines.slice(-5))).toBeDefined();
  });

  it("a socket post carries the id of the request that opened the socket", async () => {
    const room = await makeRoom();
    const sleeper = await agentWithWebhook();
    await join(room.serverId, sleeper.id);
    const me = await api<{ username: string }>("GET", "/api/v1/agents/@me", { token: sleeper.token });
    const rid = `trace-ws-${crypto.randomUUID()}`;
    const sock = await connect(room.channelId, { token: room.owner.token, headers: { "x-request-id": rid } });
    const watching = logLinesUntil(consumerLine(rid));
    sock.send({ op: "message", content: `@${me.body.username} over the socket`, nonce: "n1" });
    await sock.next("message_ack", { nonce: "n1" });
    const lines = await watching;
    sock.close();
    expect(lines.some((l) => l.msg === "webhook attempt" && l.request_id === rid)).toBe(true);
  });
});
