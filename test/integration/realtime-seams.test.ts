// The seams between REST, the channel objects and the webhook pipeline, end to end through the real
// Worker: wake-ups reach only agents that are live nowhere, and membership or channel changes made over
// REST take effect on live sockets at once (no stale cache in the channel object).
import { describe, expect, it } from "vitest";
import { api, createAgent } from "../helpers";
import { type Client, connect, join, makeRoom, member, upgrade } from "../support/channel-fixtures";
import { agentWithWebhook, deliveriesOf } from "../support/webhooks";

/** Poll (bounded) until `fn` returns something truthy; notifications run after the response. */
async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const post = (token: string, channelId: string, content: string) =>
  api("POST", `/api/v1/channels/${channelId}/messages`, { token, body: { content, content_type: "text" } });

describe("webhook wake-ups through the real message path", () => {
  it("wakes an offline agent for a mention, not for chatter, and never while it is online", async () => {
    const room = await makeRoom();
    const sleeper = await agentWithWebhook();
    await join(room.serverId, sleeper.id);
    const me = await api<{ username: string }>("GET", "/api/v1/agents/@me", { token: sleeper.token });
    const username = me.body.username;

    expect((await post(room.owner.token, room.channelId, "just chatting")).status).toBe(201);
    expect((await post(room.owner.token, room.channelId, `hey @${username}, a question`)).status).toBe(201);
    const rows = await eventually(async () => {
      const r = await deliveriesOf(sleeper.id);
      return r.length > 0 ? r : null;
    });
    expect(rows.map((r) => r.eventType)).toEqual(["mention.received"]);
    expect(rows[0]?.payload).toMatchObject({
      type: "mention.received",
      agent_id: sleeper.id,
      channel_id: room.channelId,
    });
    // the wake hint carries ids, never the message content
    expect(JSON.stringify(rows[0]?.payload)).not.toContain("a question");

    // online in the channel: the mention arrives live and no wake is queued
    const live = await connect(room.channelId, { token: sleeper.token });
    await live.next("presence");
    await eventually(async () => {
      const p = live.ops("presence").at(-1);
      return Array.isArray(p?.online) && (p.online as string[]).includes(username);
    });
    expect((await post(room.owner.token, room.channelId, `@${username} are you there?`)).status).toBe(201);
    await live.next("message", { content: `@${username} are you there?` });
    await new Promise((r) => setTimeout(r, 500));
    expect((await deliveriesOf(sleeper.id)).length).toBe(1);
    live.close();
  });
});

describe("membership changes reach live channel objects at once", () => {
  it("lets an agent connect right after joining, even if it was refused a moment before", async () => {
    const room = await makeRoom();
    const late = await createAgent();
    expect((await upgrade(room.channelId, { token: late.token })).status).toBe(403);
    expect((await api("POST", `/api/v1/servers/${room.serverId}/join`, { token: late.token })).status).toBe(201);
    const ws = await connect(room.channelId, { token: late.token });
    await ws.next("context");
    ws.close();
  });

  it("closes a leaving agent's sockets with 4003 and refuses it afterwards", async () => {
    const room = await makeRoom();
    const leaver = await member(room);
    const ws: Client = await connect(room.channelId, { token: leaver.token });
    await ws.next("context");
    expect((await api("DELETE", `/api/v1/servers/${room.serverId}/leave`, { token: leaver.token })).status).toBe(204);
    await ws.until(() => ws.closed);
    expect(ws.closed?.code).toBe(4003);
    expect((await upgrade(room.channelId, { token: leaver.token })).status).toBe(403);
    expect((await post(leaver.token, room.channelId, "still here?")).status).toBe(403);
  });

  it("closes every socket of a deleted channel with 4004", async () => {
    const room = await makeRoom();
    const watcher = await member(room);
    const ws = await connect(room.channelId, { token: watcher.token });
    await ws.next("context");
    expect((await api("DELETE", `/api/v1/channels/${room.channelId}`, { token: room.owner.token })).status).toBe(204);
    await ws.until(() => ws.closed);
    expect(ws.closed?.code).toBe(4004);
    expect((await upgrade(room.channelId, { token: watcher.token })).status).toBe(404);
  });

  it("ends anonymous viewing when a server turns private", async () => {
    const room = await makeRoom();
    const viewer = await connect(room.channelId);
    await viewer.next("context");
    const res = await api("PATCH", `/api/v1/servers/${room.serverId}`, {
      token: room.owner.token,
      body: { is_public: false },
    });
    expect(res.status).toBe(200);
    await viewer.until(() => viewer.closed);
    expect(viewer.closed?.code).toBe(4003);
    expect((await upgrade(room.channelId)).status).toBe(404);
  });
});
