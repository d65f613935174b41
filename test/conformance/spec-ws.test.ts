// Spec conformance: the architecture document's "WebSocket Protocol" section, example by example.
// A client written only from that document connects to `/ws?token=<jwt>` and sends each example frame
// exactly as printed there (ids replaced by real ones); every frame it gets back must have the shape
// printed there: the same keys, with the same kinds of values ("..." = any string, {...} = an object,
// [...] = a list of usernames), and the literal values echoed where the example has them. Extra keys
// are allowed (a client written from the document ignores what it does not know).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, BASE, createAgent, type TestAgent } from "../helpers";
import { Client, makeRoom, member, type Room } from "../support/channel-fixtures";

// ---- the section's examples, verbatim ("->" client sends, "<-" server sends)
const SPEC = {
  subscribe: '{ "op": "subscribe", "channels": ["ch_abc123"] }',
  subscribed: '{ "op": "subscribed", "channel": "ch_abc123" }',
  send: '{ "op": "message", "channel": "ch_abc123", "content": "Hello bots", "content_type": "text" }',
  ack: '{ "op": "message_ack", "id": "msg_xyz", "timestamp": "..." }',
  broadcast: '{ "op": "message", "channel": "ch_abc123", "agent": {...}, "content": "...", "id": "msg_xyz" }',
  presence: '{ "op": "presence", "channel": "ch_abc123", "online": ["agent1", "agent2"] }',
  friendRequest: '{ "op": "friend_request", "from": "agent_a" }',
  friendAccepted: '{ "op": "friend_accepted", "friend": "agent_b" }',
  typingSend: '{ "op": "typing", "channel": "ch_abc123" }',
  typing: '{ "op": "typing", "channel": "ch_abc123", "agent": "agent_a" }',
  context: '{ "op": "context", "platform": "...", "server": "...", "channel": "..." }',
  ping: '{ "op": "ping" }',
  pong: '{ "op": "pong" }',
} as const;

type Subst = Record<string, string>;

/** The example as JSON: `{...}` becomes a marker object (the document elides its fields). */
function example(text: string, subst: Subst = {}): Record<string, unknown> {
  let s = text.replaceAll("{...}", '{"…": true}');
  for (const [k, v] of Object.entries(subst)) s = s.replaceAll(`"${k}"`, JSON.stringify(v));
  return JSON.parse(s) as Record<string, unknown>;
}

/** A frame the client sends: the example with real ids. */
const frame = (text: string, subst: Subst) => JSON.stringify(example(text, subst));

/**
 * Does `got` have the example's shape? Placeholders ("...", "msg_xyz" and other values the server chooses)
 * need a value of the same kind; values in `fixed` (ids, usernames, content the client sent) must match.
 */
function expectShape(got: Record<string, unknown>, text: string, subst: Subst, fixed: readonly string[]) {
  const ex = example(text, subst);
  for (const [key, want] of Object.entries(ex)) {
    expect(got, `key ${key} of ${text}`).toHaveProperty(key);
    const v = got[key];
    if (key === "op" || fixed.includes(key)) expect(v, key).toEqual(want);
    else if (typeof want === "string") expect(typeof v, key).toBe("string");
    else if (Array.isArray(want)) {
      expect(Array.isArray(v), key).toBe(true);
      for (const x of v as unknown[]) expect(typeof x, `${key}[]`).toBe("string");
    } else if (typeof want === "object" && want !== null) {
      expect(typeof v === "object" && v !== null && !Array.isArray(v), key).toBe(true);
    }
  }
}

/** `ws://moltstack.local/ws?token=<jwt>`, as the document's "Connection" says. */
async function connectSpec(token: string): Promise<Client> {
  const res = await exports.default.fetch(`${BASE}/ws?token=${encodeURIComponent(token)}`, {
    headers: { Upgrade: "websocket" },
  });
  expect(res.status).toBe(101);
  if (!res.webSocket) throw new Error("no socket");
  res.webSocket.accept();
  return new Client(res.webSocket);
}

async function subscribed(c: Client, room: Room, subst: Subst) {
  c.send(frame(SPEC.subscribe, subst));
  await c.next("presence", { channel: room.channelId });
}

describe("spec conformance: WebSocket Protocol (architecture document)", () => {
  let room: Room;
  let a: TestAgent;
  let b: TestAgent;
  let subst: Subst;

  it("Subscribe to channels: subscribe → subscribed", async () => {
    room = await makeRoom();
    a = await member(room);
    b = await member(room);
    subst = { ch_abc123: room.channelId, agent_a: a.username };
    const c = await connectSpec(a.token);
    c.send(frame(SPEC.subscribe, subst));
    expectShape(await c.next("subscribed"), SPEC.subscribed, subst, ["channel"]);
    c.close();
  });

  it("Send message: message → message_ack; Receive message (broadcast) → message", async () => {
    const ca = await connectSpec(a.token);
    const cb = await connectSpec(b.token);
    await subscribed(ca, room, subst);
    await subscribed(cb, room, subst);
    ca.send(frame(SPEC.send, subst));
    const ack = await ca.next("message_ack");
    expectShape(ack, SPEC.ack, subst, []);
    const got = await cb.next("message", { id: ack.id });
    expectShape(got, SPEC.broadcast, { ...subst, "...": "Hello bots", msg_xyz: String(ack.id) }, [
      "channel",
      "content",
      "id",
    ]);
    expect(got.id).toBe(ack.id);
    expect(got.agent).toMatchObject({ username: a.username });
    for (const c of [ca, cb]) c.close();
  });

  it("Presence updates: presence {channel, online: [usernames]}", async () => {
    const ca = await connectSpec(a.token);
    await subscribed(ca, room, subst);
    const cb = await connectSpec(b.token);
    await subscribed(cb, room, subst);
    const p = await ca.until((fs) =>
      fs.find(
        (f) => f.op === "presence" && (f.online as string[]).includes(b.username) && f.channel === room.channelId,
      ),
    );
    expectShape(p, SPEC.presence, subst, ["channel"]);
    expect(p.online).toEqual(expect.arrayContaining([a.username, b.username]));
    for (const c of [ca, cb]) c.close();
  });

  it("Friend notifications: friend_request {from} and friend_accepted {friend}, usernames", async () => {
    const x = await createAgent();
    const y = await createAgent();
    const cx = await connectSpec(x.token);
    const cy = await connectSpec(y.token);
    await api("POST", "/api/v1/friends/request", { token: x.token, body: { username: y.username } });
    const req = await cy.next("friend_request");
    expectShape(req, SPEC.friendRequest, { agent_a: x.username }, ["from"]);
    await api("POST", "/api/v1/friends/accept", { token: y.token, body: { username: x.username } });
    const acc = await cx.next("friend_accepted");
    expectShape(acc, SPEC.friendAccepted, { agent_b: y.username }, ["friend"]);
    for (const c of [cx, cy]) c.close();
  });

  it("Typing indicator: typing {channel} → typing {channel, agent: username}", async () => {
    const ca = await connectSpec(a.token);
    const cb = await connectSpec(b.token);
    await subscribed(ca, room, subst);
    await subscribed(cb, room, subst);
    ca.send(frame(SPEC.typingSend, subst));
    expectShape(await cb.next("typing"), SPEC.typing, subst, ["channel", "agent"]);
    for (const c of [ca, cb]) c.close();
  });

  it("Context delivery (on connect/subscribe): context {platform, server, channel}", async () => {
    const ca = await connectSpec(a.token);
    const onConnect = await ca.next("context");
    expect(typeof onConnect.platform).toBe("string");
    expect(String(onConnect.platform)).toContain("You are on MoltStack");
    await subscribed(ca, room, subst);
    const tiers = ca.ops("context").find((f) => f.channel_id === room.channelId);
    if (!tiers) throw new Error("no context on subscribe");
    expectShape(tiers, SPEC.context, subst, []);
    expect(tiers).toMatchObject({ server: "server tier", channel: "channel tier" });
    ca.close();
  });

  it("Heartbeat: ping → pong", async () => {
    const ca = await connectSpec(a.token);
    ca.send(frame(SPEC.ping, subst));
    expectShape(await ca.next("pong"), SPEC.pong, subst, []);
    ca.close();
  });
});
