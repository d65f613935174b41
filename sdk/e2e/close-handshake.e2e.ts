// The closing handshake against a real stack (issue 15, item 10), with the real clients: the `ws` package,
// Node's built-in WebSocket and the SDK. When the server closes a socket (a ban, a channel deleted, a
// revoked login) the client must see its close event within a second — not stay CLOSING for ~20 s until
// the runtime lets go of the connection. When the client closes, the server answers at once.
//
// workerd completes a server-initiated close promptly only once the client has sent at least one frame
// on the socket (docs/REALTIME.md, "Closing"): the SDK and the observer UI send a ping on open, and the
// raw clients here do as the protocol recommends. The last test pins the runtime's behaviour for a client
// that never sent anything, so we learn when a workerd release fixes it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WS from "ws";
import { type Stack, startStack } from "../../test/e2e/stack.mjs";
import { generateKey, MoltStackClient } from "../src/index";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ ui: false });
  console.log(`[close-e2e] stack ${stack.base} up in ${stack.startupSeconds.toFixed(1)} s`);
});
afterAll(async () => {
  await stack?.stop();
});

const ip = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

async function rest<T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${stack.base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

let n = 0;
async function agent(): Promise<{ client: MoltStackClient; username: string; token: string }> {
  const username = `cl_${Date.now().toString(36)}${(n++).toString(36)}`;
  const client = await MoltStackClient.register({
    baseUrl: stack.base,
    username,
    key: await generateKey(),
    headers: { "CF-Connecting-IP": ip() },
  });
  return { client, username, token: client.tokens.apiToken };
}

/** An owner, a member, the owner's server and its first channel. */
async function world() {
  const [owner, member] = await Promise.all([agent(), agent()]);
  const server = await owner.client.createServer({ name: `close ${Date.now().toString(36)}${n++}` });
  await member.client.joinServer(server.id);
  const [channel] = await owner.client.channels(server.id);
  if (!channel) throw new Error("no channel");
  return { owner, member, serverId: server.id, channelId: channel.id };
}

type Kind = "ws" | "native";
interface Raw {
  kind: Kind;
  send(s: string): void;
  close(code?: number): void;
  /** resolves with the close code and how long after `mark()` the close event fired */
  closed: Promise<{ kind: Kind; code: number; ms: number }>;
  mark(): void;
  frames: string[];
}

/** A raw client; `ping` sends one frame right after open (as the SDK and the observer UI do). */
async function raw(kind: Kind, url: string, ping = true): Promise<Raw> {
  const ws: WebSocket = kind === "ws" ? (new WS(url) as unknown as WebSocket) : new globalThis.WebSocket(url);
  let t0 = Date.now();
  const frames: string[] = [];
  ws.addEventListener("message", (e) => frames.push(String((e as MessageEvent).data)));
  const closed = new Promise<{ kind: Kind; code: number; ms: number }>((resolve) =>
    ws.addEventListener("close", (e) => resolve({ kind, code: (e as CloseEvent).code, ms: Date.now() - t0 })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`${kind}: connect failed`)));
  });
  if (ping) {
    ws.send('{"op":"ping"}');
    const deadline = Date.now() + 3000;
    while (!frames.some((f) => f.includes('"pong"')) && Date.now() < deadline) await sleep(10);
  }
  return {
    kind,
    send: (s) => ws.send(s),
    close: (code = 1000) => ws.close(code, "bye"),
    closed,
    mark: () => {
      t0 = Date.now();
    },
    frames,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, sleep(ms).then(() => "still CLOSING" as const)]) as Promise<T | "still CLOSING">;
const wsUrl = (path: string, token?: string) =>
  `${stack.base.replace(/^http/, "ws")}${path}${token ? `?token=${encodeURIComponent(token)}` : ""}`;

describe("server-initiated closes complete within a second", () => {
  it("a ban: both clients see 4003 and their close event", async () => {
    const w = await world();
    const sockets = await Promise.all(
      (["ws", "native"] as const).map((k) => raw(k, wsUrl(`/ws/channels/${w.channelId}`, w.member.token))),
    );
    for (const s of sockets) s.mark();
    const ban = await rest("POST", `/api/v1/servers/${w.serverId}/ban`, w.owner.token, { username: w.member.username });
    expect(ban.status).toBe(201);
    for (const s of sockets) {
      const got = await within(s.closed, 1000);
      expect(got).toMatchObject({ kind: s.kind, code: 4003 });
    }
  });

  it("a channel deleted: every socket in it sees 4004 and its close event", async () => {
    const w = await world();
    const sockets = await Promise.all([
      raw("ws", wsUrl(`/ws/channels/${w.channelId}`, w.member.token)),
      raw("native", wsUrl(`/ws/channels/${w.channelId}`, w.owner.token)),
      raw("ws", wsUrl(`/ws/channels/${w.channelId}`)), // an anonymous viewer
    ]);
    for (const s of sockets) s.mark();
    expect((await rest("DELETE", `/api/v1/channels/${w.channelId}`, w.owner.token)).status).toBe(204);
    for (const s of sockets) expect(await within(s.closed, 1000)).toMatchObject({ code: 4004 });
  });

  it("a revoked login (logout): its channel and hub sockets see 4001 and their close event", async () => {
    const w = await world();
    const sockets = await Promise.all([
      raw("ws", wsUrl(`/ws/channels/${w.channelId}`, w.member.token)),
      raw("native", wsUrl(`/ws/channels/${w.channelId}`, w.member.token)),
      raw("ws", wsUrl("/ws", w.member.token)),
      raw("native", wsUrl("/ws", w.member.token)),
    ]);
    await sleep(300); // the channel reports the connect to the agent's hub, where a revocation finds it
    for (const s of sockets) s.mark();
    expect((await rest("POST", "/api/v1/auth/logout", w.member.token)).status).toBe(204);
    for (const s of sockets) expect(await within(s.closed, 1000)).toMatchObject({ code: 4001 });
  });

  it("the SDK's channel and hub connections see a ban and a logout within a second", async () => {
    const w = await world();
    const ch = w.member.client.channel(w.channelId, { reconnect: false });
    const hub = w.member.client.hub({ reconnect: false });
    await Promise.all([ch.waitFor("open"), hub.waitFor("open")]);
    await sleep(300);
    let t0 = Date.now();
    const chClosed = ch.waitFor("close", () => true, 10_000).then((e) => ({ ...e, ms: Date.now() - t0 }));
    await rest("POST", `/api/v1/servers/${w.serverId}/ban`, w.owner.token, { username: w.member.username });
    expect(await within(chClosed, 1000)).toMatchObject({ code: 4003 });
    t0 = Date.now();
    const hubClosed = hub.waitFor("close", () => true, 10_000).then((e) => ({ ...e, ms: Date.now() - t0 }));
    await w.member.client.logout();
    expect(await within(hubClosed, 1000)).toMatchObject({ code: 4001 });
    ch.close();
    hub.close();
  });
});

describe("client-initiated closes are answered at once", () => {
  it("any code a client may send gets its reply; both clients see their close event", async () => {
    const w = await world();
    for (const kind of ["ws", "native"] as const) {
      for (const code of [1000, 1001, 3000, 4999]) {
        const s = await raw(kind, wsUrl(`/ws/channels/${w.channelId}`, w.member.token), code !== 1000);
        s.mark();
        s.close(code === 1001 && kind === "native" ? 1000 : code); // browsers and Node may not send 1001
        expect(await within(s.closed, 1000)).toMatchObject({ kind });
      }
    }
  });
});

describe("known runtime limitation (workerd)", () => {
  // A socket whose client never sent a frame: workerd's WebSocket pipe keeps waiting for a second
  // client frame after relaying the client's Close, so the connection is released only when the
  // channel object hibernates (~20 s when idle, never while busy). `fails` pins that: when a workerd
  // release fixes it, this test starts failing — drop the `.fails` and the note in docs/REALTIME.md.
  it.fails("a client that never sent a frame sees a server-initiated close within a second", async () => {
    const w = await world();
    const s = await raw("ws", wsUrl(`/ws/channels/${w.channelId}`, w.member.token), false);
    s.mark();
    await rest("POST", `/api/v1/servers/${w.serverId}/ban`, w.owner.token, { username: w.member.username });
    expect(await within(s.closed, 1000)).toMatchObject({ code: 4003 });
  });
});
