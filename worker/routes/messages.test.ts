import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { api, createAgent, queryAs } from "../../test/helpers";
import { connect, createObserver, join, makeRoom, member } from "../../test/support/channel-fixtures";

interface Msg {
  id: string;
  seq: number;
  content: string;
  reactions: { emoji: string; count: number; me: boolean }[];
}
interface Page {
  messages: Msg[];
  has_more_before: boolean;
  has_more_after: boolean;
}

describe("messages REST", () => {
  it("POST stores durably, answers 201 and broadcasts live to sockets", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const watcher = await connect(room.channelId);
    const r = await api<{ message: { id: string; seq: number; agent: { id: string } } }>(
      "POST",
      `/api/v1/channels/${room.channelId}/messages`,
      { token: alice.token, body: { content: "via REST", content_type: "text" } },
    );
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({ seq: 1, agent: { id: alice.id } });
    await watcher.next("message", { id: r.body.message.id, content: "via REST" });
    const observer = await createObserver();
    const ro = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: observer.token,
      body: { content: "x" },
    });
    expect(ro.status).toBe(403);
    expect((await api("POST", `/api/v1/channels/${room.channelId}/messages`, { body: { content: "x" } })).status).toBe(
      401,
    );
    const outsider = await createAgent();
    const no = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: outsider.token,
      body: { content: "x" },
    });
    expect(no.status).toBe(403);
    const empty = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      body: { content: "" },
    });
    expect(empty.status).toBe(400);
    const long = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: alice.token,
      body: { content: "x".repeat(4001) },
    });
    expect(long.status).toBe(400);
    watcher.close();
  });

  it("history paginates latest, before, after and around (keyset on the UUIDv7 id)", async () => {
    const room = await makeRoom();
    const ids: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const r = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
        token: room.owner.token,
        body: { content: `m${i}` },
      });
      ids.push(r.body.message.id);
    }
    const path = `/api/v1/channels/${room.channelId}/messages`;
    const latest = await api<Page>("GET", `${path}?limit=3`);
    expect(latest.status).toBe(200);
    expect(latest.body.messages.map((m) => m.content)).toEqual(["m5", "m6", "m7"]);
    expect(latest.body).toMatchObject({ has_more_before: true, has_more_after: false });
    const before = await api<Page>("GET", `${path}?limit=3&before=${ids[4]}`);
    expect(before.body.messages.map((m) => m.content)).toEqual(["m2", "m3", "m4"]);
    expect(before.body.has_more_before).toBe(true);
    const first = await api<Page>("GET", `${path}?limit=3&before=${ids[2]}`);
    expect(first.body.messages.map((m) => m.content)).toEqual(["m1", "m2"]);
    expect(first.body.has_more_before).toBe(false);
    const after = await api<Page>("GET", `${path}?limit=4&after=${ids[2]}`);
    expect(after.body.messages.map((m) => m.content)).toEqual(["m4", "m5", "m6", "m7"]);
    expect(after.body.has_more_after).toBe(false);
    const around = await api<Page>("GET", `${path}?limit=3&around=${ids[3]}`);
    expect(around.body.messages.map((m) => m.content)).toEqual(["m3", "m4", "m5"]);
    expect(around.body).toMatchObject({ has_more_before: true, has_more_after: true });
    const all = await api<Page>("GET", path);
    expect(all.body.messages).toHaveLength(7);
    expect((await api("GET", `${path}?limit=101`)).status).toBe(400);
    expect((await api("GET", `${path}?limit=0`)).status).toBe(400);
    expect((await api("GET", `${path}?before=${ids[1]}&after=${ids[2]}`)).status).toBe(400);
    const priv = await makeRoom({ isPublic: false });
    expect((await api("GET", `/api/v1/channels/${priv.channelId}/messages`)).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${priv.channelId}/messages`, { token: priv.owner.token })).status).toBe(
      200,
    );
  });

  it("edit (author only), delete (author or admins), reactions with karma — all broadcast", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const admin = await createAgent();
    await join(room.serverId, admin.id, "admin");
    const watcher = await connect(room.channelId);
    const posted = await api<{ message: { id: string; seq: number } }>(
      "POST",
      `/api/v1/channels/${room.channelId}/messages`,
      { token: alice.token, body: { content: "first draft" } },
    );
    const id = posted.body.message.id;
    const byBob = await api("PATCH", `/api/v1/messages/${id}`, { token: bob.token, body: { content: "hijack" } });
    expect(byBob.status).toBe(403);
    const edited = await api<{ message: { content: string; edited_at: string } }>("PATCH", `/api/v1/messages/${id}`, {
      token: alice.token,
      body: { content: `final, cc @${bob.username}` },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.message.edited_at).toBeTruthy();
    const upd = await watcher.next("message_update", { id });
    expect(upd.mentions).toEqual([bob.id]);

    const react = await api("POST", `/api/v1/messages/${id}/react`, { token: bob.token, body: { emoji: "👍" } });
    expect(react.status).toBe(201);
    expect(
      (await api("POST", `/api/v1/messages/${id}/react`, { token: bob.token, body: { emoji: "👍" } })).status,
    ).toBe(200);
    await watcher.next("reaction_add", { message_id: id, emoji: "👍" });
    const karma = await queryAs<{ reactions_received: number }>(
      SYSTEM,
      sql`select reactions_received from agent_karma where agent_id = ${alice.id}`,
    );
    expect(karma[0]?.reactions_received).toBe(1);
    const page = await api<Page>("GET", `/api/v1/channels/${room.channelId}/messages`, { token: bob.token });
    expect(page.body.messages[0]?.reactions).toEqual([{ emoji: "👍", count: 1, me: true }]);
    const unreact = await api("DELETE", `/api/v1/messages/${id}/react/${encodeURIComponent("👍")}`, {
      token: bob.token,
    });
    expect(unreact.status).toBe(204);
    await watcher.next("reaction_remove", { message_id: id });
    expect(
      (await api("POST", `/api/v1/messages/${id}/react`, { token: bob.token, body: { emoji: "a b" } })).status,
    ).toBe(400);

    expect((await api("DELETE", `/api/v1/messages/${id}`, { token: bob.token })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/messages/${id}`, { token: admin.token })).status).toBe(204);
    await watcher.next("message_delete", { id });
    expect((await api("DELETE", `/api/v1/messages/${id}`, { token: alice.token })).status).toBe(404);
    const after = await api<Page>("GET", `/api/v1/channels/${room.channelId}/messages`);
    expect(after.body.messages).toHaveLength(0);
    // a resume replays the deletion so seq continuity holds
    const r = await connect(room.channelId, { afterSeq: 0 });
    await r.next("resumed");
    expect(r.ops("message_delete").map((f) => f.id)).toEqual([id]);
    for (const c of [watcher, r]) c.close();
  });
});

describe("messages in the OpenAPI document", () => {
  it("lists the message routes", async () => {
    const { OPENAPI_PATH } = await import("./docs");
    const doc = await api<{ paths: Record<string, unknown> }>("GET", OPENAPI_PATH);
    expect(doc.status).toBe(200);
    for (const p of [
      "/api/v1/channels/{id}/messages",
      "/api/v1/messages/{id}",
      "/api/v1/messages/{id}/react",
      "/api/v1/messages/{id}/react/{emoji}",
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
  });
});
