// Issue 15, items 1 and 2, as an attacker tries them: keep posting into a DM after being unfriended or
// blocked (over REST and over a socket opened before, whose "member" decision the channel object had
// cached), and keep reaching an agent that blocked you (mentions, replies, webhook wakes, friend
// requests, presence). Every step goes through the public API and sockets. See docs/SECURITY.md
// "Standing changes take effect at once" and "A block silences both ways".
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages, webhookDeliveries } from "../../common/db/schema";
import { api, asSystem, createAgent, type TestAgent } from "../helpers";
import { type Client, connect, makeRoom, member } from "../support/channel-fixtures";
import { agentWithWebhook } from "../support/webhooks";

async function befriend(a: TestAgent, b: TestAgent): Promise<string> {
  const req = await api("POST", "/api/v1/friends/request", { token: a.token, body: { username: b.username } });
  expect(req.status).toBe(201);
  const acc = await api<{ dm_channel_id: string }>("POST", "/api/v1/friends/accept", {
    token: b.token,
    body: { username: a.username },
  });
  expect(acc.status).toBe(200);
  return acc.body.dm_channel_id;
}

const stored = async (channelId: string, authorId: string) =>
  (
    await asSystem((tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(eq(messages.channelId, channelId), eq(messages.agentId, authorId))),
    )
  )[0]?.n ?? 0;

const hub = (a: TestAgent) => connect("", { path: "/ws", token: a.token });

/** Post on a socket and wait for its ack or error. */
async function socketPost(c: Client, content: string, nonce: string) {
  const from = c.frames.length;
  c.send({ op: "message", content, nonce });
  return c.until((fs) => fs.slice(from).find((f) => (f.op === "message_ack" || f.op === "error") && f.nonce === nonce));
}

/** Let notifications in flight land (they run in waitUntil after the commit). */
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

describe("attack: posting into a DM after the standing changed", () => {
  it("an unfriended agent can no longer post into the DM: REST, a socket opened before, and no dm event", async () => {
    const [v, u] = await Promise.all([createAgent(), createAgent()]);
    const dm = await befriend(v, u);
    const sock = await connect(dm, { token: u.token });
    // warm the object's cached "member" decision for U, over both paths
    expect((await socketPost(sock, "hi while friends", "warm")).op).toBe("message_ack");
    expect(
      (await api("POST", `/api/v1/channels/${dm}/messages`, { token: u.token, body: { content: "rest" } })).status,
    ).toBe(201);
    const vHub = await hub(v);
    await vHub.next("hello");
    const before = await stored(dm, u.id);

    expect((await api("DELETE", `/api/v1/friends/${u.username}`, { token: v.token })).status).toBe(204);

    const rest = await api("POST", `/api/v1/channels/${dm}/messages`, {
      token: u.token,
      body: { content: "still here" },
    });
    expect(rest.status).toBe(403);
    const viaSocket = await socketPost(sock, "still here (socket)", "after");
    expect(viaSocket).toMatchObject({ op: "error", code: "forbidden" });
    await settle();
    expect(await stored(dm, u.id)).toBe(before);
    expect(vHub.ops("dm")).toEqual([]);
    // the history stays readable by both (RLS: former friends keep their DM's history)
    expect((await api("GET", `/api/v1/channels/${dm}/messages`, { token: u.token })).status).toBe(200);
    for (const c of [sock, vHub]) c.close();
  });

  it("a blocked agent cannot post into the DM at once, whoever blocked whom", async () => {
    for (const blockerIsFirst of [true, false]) {
      const [x, y] = await Promise.all([createAgent(), createAgent()]);
      const dm = await befriend(x, y);
      const [blocker, blocked] = blockerIsFirst ? [x, y] : [y, x];
      const sock = await connect(dm, { token: blocked.token });
      expect((await socketPost(sock, "warm", "w")).op).toBe("message_ack");
      const before = await stored(dm, blocked.id);
      expect((await api("POST", `/api/v1/blocks/${blocked.username}`, { token: blocker.token })).status).toBe(201);
      const rest = await api("POST", `/api/v1/channels/${dm}/messages`, {
        token: blocked.token,
        body: { content: "you cannot block me" },
      });
      expect(rest.status).toBe(403);
      expect(await socketPost(sock, "you cannot block me (socket)", "b")).toMatchObject({
        op: "error",
        code: "forbidden",
      });
      // the blocker cannot post either: a block closes the DM both ways, as RLS says
      const mine = await api("POST", `/api/v1/channels/${dm}/messages`, {
        token: blocker.token,
        body: { content: "x" },
      });
      expect(mine.status).toBe(403);
      expect(await stored(dm, blocked.id)).toBe(before);
      sock.close();
    }
  });
});

describe("attack: posting right after losing standing in a server", () => {
  it("banned, demoted in an announcement channel or gone: the next post is refused, over REST and a warm socket", async () => {
    const room = await makeRoom();
    const owner = room.owner;
    const [victim, admin, leaver] = await Promise.all([member(room), createAgent(), member(room)]);
    const { join } = await import("../support/channel-fixtures");
    await join(room.serverId, admin.id, "admin");
    const ann = await api<{ id: string }>("POST", `/api/v1/servers/${room.serverId}/channels`, {
      token: owner.token,
      body: { name: "news", type: "announcement" },
    });
    expect(ann.status).toBe(201);
    const warm = async (a: TestAgent, channelId: string) => {
      const s = await connect(channelId, { token: a.token });
      expect((await socketPost(s, "warm", "w")).op).toBe("message_ack");
      return s;
    };
    const [vs, as, ls] = [
      await warm(victim, room.channelId),
      await warm(admin, ann.body.id),
      await warm(leaver, room.channelId),
    ];

    expect(
      (
        await api("POST", `/api/v1/servers/${room.serverId}/ban`, {
          token: owner.token,
          body: { username: victim.username },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
          token: victim.token,
          body: { content: "x" },
        })
      ).status,
    ).toBe(403);
    expect(vs.closed?.code ?? (await vs.until(() => vs.closed)).code).toBe(4003);

    expect(
      (
        await api("PUT", `/api/v1/servers/${room.serverId}/members/${admin.id}/role`, {
          token: owner.token,
          body: { role: "member" },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api("POST", `/api/v1/channels/${ann.body.id}/messages`, { token: admin.token, body: { content: "x" } }))
        .status,
    ).toBe(403);
    expect(await socketPost(as, "still announcing", "a")).toMatchObject({ op: "error", code: "forbidden" });

    expect((await api("DELETE", `/api/v1/servers/${room.serverId}/leave`, { token: leaver.token })).status).toBe(204);
    expect(
      (
        await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
          token: leaver.token,
          body: { content: "x" },
        })
      ).status,
    ).toBe(403);
    expect((await ls.until(() => ls.closed)).code).toBe(4003);
    as.close();
  });
});

describe("attack: reaching an agent that blocked you", () => {
  it("mentions and replies of a blocked agent in a shared server never reach the blocker's hub", async () => {
    const room = await makeRoom();
    const [blocker, pest, bystander] = await Promise.all([member(room), member(room), member(room)]);
    const bHub = await hub(blocker);
    await bHub.next("hello");
    const own = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: blocker.token,
      body: { content: "my message" },
    });
    expect((await api("POST", `/api/v1/blocks/${pest.username}`, { token: blocker.token })).status).toBe(201);

    const ps = await connect(room.channelId, { token: pest.token });
    expect((await socketPost(ps, `@${blocker.username} look at me`, "m1")).op).toBe("message_ack");
    const viaRest = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: pest.token,
      body: { content: `hey @${blocker.username}`, reply_to: own.body.message.id },
    });
    expect(viaRest.status).toBe(201);
    // a control mention from someone not blocked arrives, so the hub was listening all along
    await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: bystander.token,
      body: { content: `hello @${blocker.username}` },
    });
    await bHub.until((fs) =>
      fs.some((f) => f.op === "mention" && (f.from_agent as { id: string }).id === bystander.id),
    );
    await settle();
    const fromPest = bHub.frames.filter(
      (f) =>
        (f.op === "mention" || f.op === "reply" || f.op === "dm") && (f.from_agent as { id: string }).id === pest.id,
    );
    expect(fromPest).toEqual([]);

    // both ways: the blocker's mentions do not reach the agent it blocked either
    const pHub = await hub(pest);
    await pHub.next("hello");
    await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: blocker.token,
      body: { content: `@${pest.username} (blocked)` },
    });
    await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: bystander.token,
      body: { content: `@${pest.username} control` },
    });
    await pHub.until((fs) =>
      fs.some((f) => f.op === "mention" && (f.from_agent as { id: string }).id === bystander.id),
    );
    await settle();
    expect(pHub.frames.filter((f) => f.op === "mention" && (f.from_agent as { id: string }).id === blocker.id)).toEqual(
      [],
    );
    for (const c of [bHub, ps, pHub]) c.close();
  });

  it("a blocked agent cannot spend the blocker's webhook wake budget", async () => {
    const room = await makeRoom();
    const blocker = await agentWithWebhook({ cap: 3 });
    const { join } = await import("../support/channel-fixtures");
    await join(room.serverId, blocker.id);
    const [pest, friend] = await Promise.all([member(room), member(room)]);
    expect((await api("POST", `/api/v1/blocks/${pest.username}`, { token: blocker.token })).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const r = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
        token: pest.token,
        body: { content: `@${blocker.username} wake up ${i}` },
      });
      expect(r.status).toBe(201);
    }
    await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: friend.token,
      body: { content: `@${blocker.username} a real wake` },
    });
    const rows = async () =>
      asSystem((tx) =>
        tx
          .select({ status: webhookDeliveries.status, payload: webhookDeliveries.payload })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.agentId, blocker.id)),
      );
    const deadline = Date.now() + 5000;
    let got = await rows();
    while (!got.some((r) => (r.payload as { from: { id: string } }).from.id === friend.id) && Date.now() < deadline) {
      await settle(100);
      got = await rows();
    }
    await settle();
    got = await rows();
    const byPest = got.filter((r) => (r.payload as { from: { id: string } }).from.id === pest.id);
    const real = got.filter((r) => (r.payload as { from: { id: string } }).from.id === friend.id);
    expect(byPest).toEqual([]);
    expect(real.map((r) => r.status)).toEqual([expect.not.stringMatching(/^suppressed$/)]);
  });

  it("a blocked agent's friend request is refused and never reaches the blocker", async () => {
    const [blocker, pest] = await Promise.all([createAgent(), createAgent()]);
    expect((await api("POST", `/api/v1/blocks/${pest.username}`, { token: blocker.token })).status).toBe(201);
    const bHub = await hub(blocker);
    await bHub.next("hello");
    const r = await api("POST", "/api/v1/friends/request", { token: pest.token, body: { username: blocker.username } });
    expect(r.status).toBe(403);
    await settle();
    expect(bHub.ops("friend_request")).toEqual([]);
    bHub.close();
  });

  it("presence stops flowing both ways after a block or an unfriend", async () => {
    // a connected personal socket keeps an agent online (issue 16), so the presence change watched here is
    // the mover closing its last socket: before the block its friend hears it (the control), after it not
    for (const how of ["block", "unfriend"] as const) {
      for (const mover of ["blocked", "blocker"] as const) {
        const room = await makeRoom();
        const [a, b] = await Promise.all([member(room), member(room)]);
        await befriend(a, b);
        const [m, l] = mover === "blocked" ? [b, a] : [a, b];
        const lHub = await hub(l);
        await lHub.next("hello");
        const mHub = await hub(m);
        await mHub.next("hello");
        // control: the listener's hub watches the mover, so the mover coming online reaches it
        await lHub.until((fs) => fs.some((f) => f.op === "presence" && (f.agent as { id: string }).id === m.id));
        const r =
          how === "block"
            ? await api("POST", `/api/v1/blocks/${b.username}`, { token: a.token })
            : await api("DELETE", `/api/v1/friends/${b.username}`, { token: a.token });
        expect(r.status).toBe(how === "block" ? 201 : 204);
        const from = lHub.frames.length;
        mHub.close(); // the mover goes offline
        const again = await connect(room.channelId, { token: m.token }); // and comes back in a channel
        await settle(1500);
        const heard = lHub.frames
          .slice(from)
          .filter((f) => f.op === "presence" && (f.agent as { id: string }).id === m.id);
        expect({ how, mover, heard }).toEqual({ how, mover, heard: [] });
        for (const c of [lHub, again]) c.close();
      }
    }
  });
});
