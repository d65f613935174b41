import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { a2aBridges, agents, channels, serverMembers } from "../../common/db/schema";
import { wakeOffline } from "../../common/wake";
import { api, asSystem, createAgent, testEnv } from "../../test/helpers";
import { join, makeRoom, member } from "../../test/support/channel-fixtures";
import { recordingQueue } from "../../test/support/webhooks";
import { isBridgeMessage, openToken, runBridgeSend } from "../services/a2a-bridge";

const SECRET = "peer-outbound-secret-xyz";
const bridgesOf = (channelId: string) => `/api/v1/channels/${channelId}/a2a-bridges`;
let n = 0;
const body = (url = "http://127.0.0.1:9/a2a/v1") => ({
  name: `peer${Date.now().toString(36)}${n++}`,
  url,
  token: SECRET,
});

describe("A2A bridges: an external A2A agent as a channel member", () => {
  it("only the server's owner and admins add one; a plain member or an outsider cannot", async () => {
    const room = await makeRoom();
    const plain = await member(room);
    const outsider = await createAgent();
    expect((await api("POST", bridgesOf(room.channelId), { token: plain.token, body: body() })).status).toBe(403);
    expect([403, 404]).toContain(
      (await api("POST", bridgesOf(room.channelId), { token: outsider.token, body: body() })).status,
    );
    const admin = await createAgent();
    await join(room.serverId, admin.id, "admin");
    expect((await api("POST", bridgesOf(room.channelId), { token: admin.token, body: body() })).status).toBe(201);
  });

  it("refuses URLs the webhook SSRF checks refuse", async () => {
    const room = await makeRoom();
    for (const url of [
      "http://10.0.0.1/a2a",
      "https://169.254.169.254/latest",
      "https://localhost/a2a",
      "https://user:pw@peer.example.com/a2a",
      "ftp://peer.example.com/a2a",
      "https://127.1/a2a",
    ]) {
      const res = await api<{ error: { message: string } }>("POST", bridgesOf(room.channelId), {
        token: room.owner.token,
        body: body(url),
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.message).toMatch(/url/);
    }
  });

  it("joins as a member, stores the token encrypted and never returns it; removal suspends the bridged agent", async () => {
    const room = await makeRoom();
    const res = await api<{ id: string; agent: { id: string; username: string; display_name: string } }>(
      "POST",
      bridgesOf(room.channelId),
      { token: room.owner.token, body: body() },
    );
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    expect(res.body.agent.username).toMatch(/^a2a_peer/);
    expect(res.body.agent.display_name).toMatch(/^a2a:peer.+@127\.0\.0\.1$/);
    const [row] = await asSystem((tx) => tx.select().from(a2aBridges).where(eq(a2aBridges.id, res.body.id)));
    expect(row?.tokenCiphertext).not.toContain(SECRET);
    expect(await openToken(testEnv.JWT_SECRET, row?.tokenCiphertext ?? "")).toBe(SECRET);
    const list = await api("GET", bridgesOf(room.channelId), { token: room.owner.token });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
    const members = await asSystem((tx) =>
      tx.select().from(serverMembers).where(eq(serverMembers.agentId, res.body.agent.id)),
    );
    expect(members).toHaveLength(1);

    // a mention of the bridged agent becomes an outbound send on the Queue, not a webhook
    const q = recordingQueue();
    await wakeOffline({ ...testEnv, ...q.env }, res.body.agent.id, {
      type: "mention",
      from: { id: room.owner.id, username: room.owner.username },
      channel_id: room.channelId,
      message_id: crypto.randomUUID(),
      created_at: new Date().toISOString(),
    });
    expect(q.sent).toHaveLength(1);
    expect(isBridgeMessage(q.sent[0])).toBe(true);

    expect(
      (await api("DELETE", `${bridgesOf(room.channelId)}/${res.body.id}`, { token: room.owner.token })).status,
    ).toBe(204);
    const [agent] = await asSystem((tx) =>
      tx.select({ status: agents.status }).from(agents).where(eq(agents.id, res.body.agent.id)),
    );
    expect(agent?.status).toBe("suspended");
    expect(
      await asSystem((tx) => tx.select().from(serverMembers).where(eq(serverMembers.agentId, res.body.agent.id))),
    ).toHaveLength(0);
    expect(
      (await api("DELETE", `${bridgesOf(room.channelId)}/${res.body.id}`, { token: room.owner.token })).status,
    ).toBe(404);
  });

  it("speaks only in its own channel: a mention elsewhere in the server sends nothing", async () => {
    const room = await makeRoom();
    const [other] = await asSystem((tx) =>
      tx
        .insert(channels)
        .values({ serverId: room.serverId, name: "elsewhere", type: "text" })
        .returning({ id: channels.id }),
    );
    const added = await api<{ agent: { id: string; username: string } }>("POST", bridgesOf(room.channelId), {
      token: room.owner.token,
      body: body(),
    });
    const posted = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${other?.id}/messages`, {
      token: room.owner.token,
      body: { content: `@${added.body.agent.username} hello?` },
    });
    expect(posted.status).toBe(201);
    let called = 0;
    const db = createDatabase(testEnv);
    try {
      const out = await runBridgeSend(
        testEnv,
        db,
        {
          kind: "a2a_bridge",
          agent_id: added.body.agent.id,
          channel_id: other?.id ?? "",
          message_id: posted.body.message.id,
        },
        {
          policy: { allowLoopback: true },
          fetch: async () => {
            called++;
            return new Response("{}");
          },
        },
      );
      expect(out).toEqual({ action: "ack", result: "not the bridged channel" });
      expect(called).toBe(0);
    } finally {
      await db.close();
    }
  });
});
