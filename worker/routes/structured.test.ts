// Structured messages (issue 18): content_type "json" with `data` (≤ 16 KB object) and `schema`, through
// REST and the socket, kept in history, replay and edits; bad payloads are a 400 / validation error and
// never reach (or break) a group-committed batch.
import { describe, expect, it } from "vitest";
import { PROTOCOL_LIMITS } from "../../protocol";
import { api } from "../../test/helpers";
import { connect, makeRoom, member } from "../../test/support/channel-fixtures";

interface Msg {
  id: string;
  seq: number;
  content: string;
  content_type: string;
  data?: Record<string, unknown>;
  schema?: string | null;
}

describe("structured (json) messages", () => {
  it("REST and socket posts carry data and schema to sockets, history and resume", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const watcher = await connect(room.channelId);
    const data = { tool: "search", hits: [{ title: "a", score: 0.9 }], done: true, note: null };
    const r = await api<{ message: Msg }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      body: { content: "search results (1 hit)", content_type: "json", data, schema: "tool_result/v1" },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.message).toMatchObject({ content_type: "json", data, schema: "tool_result/v1" });
    expect(await watcher.next("message", { id: r.body.message.id })).toMatchObject({ data, schema: "tool_result/v1" });

    const sock = await connect(room.channelId, { token: alice.token });
    sock.send({ op: "message", content: "a plan", content_type: "json", data: { steps: ["a", "b"] }, nonce: "j" });
    const ack = await sock.next("message_ack", { nonce: "j" });
    expect(await watcher.next("message", { id: ack.id })).toMatchObject({ data: { steps: ["a", "b"] }, schema: null });
    // text messages carry no data field at all
    const plain = await api<{ message: Msg }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      body: { content: "plain" },
    });
    expect(plain.body.message).not.toHaveProperty("data");

    const hist = await api<{ messages: Msg[] }>("GET", `/api/v1/channels/${room.channelId}/messages`);
    expect(hist.body.messages.map((m) => m.data ?? null)).toEqual([data, { steps: ["a", "b"] }, null]);
    // resume replays them as they were broadcast
    const late = await connect(room.channelId, { afterSeq: 0 });
    await late.next("resumed");
    expect(late.ops("message").map((m) => m.data ?? null)).toEqual([data, { steps: ["a", "b"] }, null]);
    for (const c of [watcher, sock, late]) c.close();
  });

  it("bad payloads are refused with a clear 400 (REST) or validation_failed (socket), nothing stored", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const post = (body: unknown) =>
      api("POST", `/api/v1/channels/${room.channelId}/messages`, { token: alice.token, body });
    const bad: unknown[] = [
      { content: "x", content_type: "json" },
      { content: "x", content_type: "json", data: [1, 2] },
      { content: "x", content_type: "json", data: "str" },
      { content: "x", data: { a: 1 } },
      { content: "x", content_type: "code", data: { a: 1 } },
      { content: "x", content_type: "json", data: { s: "a".repeat(PROTOCOL_LIMITS.jsonDataBytes) } },
      { content: "x", content_type: "json", data: { s: "nul\u0000" } },
      { content: "x", content_type: "json", data: { a: 1 }, schema: "has space" },
      { content: "x", content_type: "json", data: { a: 1 }, schema: "s".repeat(65) },
    ];
    for (const b of bad) {
      const r = await post(b);
      expect(r.status, JSON.stringify(b).slice(0, 80)).toBe(400);
      expect(r.body).toMatchObject({ error: { code: "validation_failed" } });
    }
    // a lone surrogate can only arrive as a JSON escape
    const raw = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      rawBody: '{"content":"x","content_type":"json","data":{"s":"\\ud800"}}',
      headers: { "content-type": "application/json" },
    });
    expect(raw.status).toBe(400);
    const sock = await connect(room.channelId, { token: alice.token });
    sock.send({ op: "message", content: "x", content_type: "json", data: { s: "\u0000" }, nonce: "n" });
    await sock.next("error", { code: "validation_failed", nonce: "n" });
    sock.send({ op: "message", content: "fine", nonce: "ok" });
    expect((await sock.next("message_ack", { nonce: "ok" })).seq).toBe(1);
    sock.close();
  });

  it("edits change the payload, keep it, or drop it with the type", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const watcher = await connect(room.channelId);
    const r = await api<{ message: Msg }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      body: { content: "v1", content_type: "json", data: { v: 1 }, schema: "s" },
    });
    const id = r.body.message.id;
    const edit = (body: unknown) =>
      api<{ message: Msg }>("PATCH", `/api/v1/messages/${id}`, { token: alice.token, body });
    expect((await edit({ content: "v2", data: { v: 2 } })).body.message).toMatchObject({
      data: { v: 2 },
      schema: null,
    });
    expect(await watcher.next("message_update", { id })).toMatchObject({ content_type: "json", data: { v: 2 } });
    expect((await edit({ content: "v2 again" })).body.message).toMatchObject({ content_type: "json", data: { v: 2 } });
    expect((await edit({ content: "v3", schema: "named" })).body.message).toMatchObject({
      data: { v: 2 },
      schema: "named",
    });
    expect((await edit({ content: "x", content_type: "text", data: { a: 1 } })).status).toBe(400);
    const text = await edit({ content: "now text", content_type: "text" });
    expect(text.body.message).toMatchObject({ content_type: "text" });
    expect(text.body.message).not.toHaveProperty("data");
    // a text message turned json needs data
    expect((await edit({ content: "json?", content_type: "json" })).status).toBe(400);
    watcher.close();
  });
});
