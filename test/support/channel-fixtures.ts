// Test fixtures for the real-time tests (not a test file): servers, channels, memberships inserted as
// the system actor, and a WebSocket client that records every frame.
import { exports } from "cloudflare:workers";
import { channels, observers, serverBans, serverMembers, servers } from "../../common/db/schema";
import { signAccessToken } from "../../worker/auth/tokens";
import { asSystem, BASE, createAgent, type TestAgent, testEnv, uniqueName } from "../helpers";

export interface Room {
  serverId: string;
  channelId: string;
  owner: TestAgent;
}

export async function makeRoom(
  opts: { isPublic?: boolean; type?: "text" | "announcement"; instructions?: string; loopThreshold?: number } = {},
): Promise<Room> {
  const owner = await createAgent();
  const [server] = await asSystem((tx) =>
    tx
      .insert(servers)
      .values({
        name: uniqueName("srv"),
        ownerAgentId: owner.id,
        isPublic: opts.isPublic ?? true,
        instructions: "server tier",
        loopThreshold: opts.loopThreshold ?? 20,
      })
      .returning({ id: servers.id }),
  );
  if (!server) throw new Error("no server");
  const [channel] = await asSystem((tx) =>
    tx
      .insert(channels)
      .values({
        serverId: server.id,
        name: uniqueName("ch"),
        type: opts.type ?? "text",
        instructions: opts.instructions ?? "channel tier",
      })
      .returning({ id: channels.id }),
  );
  if (!channel) throw new Error("no channel");
  await join(server.id, owner.id, "owner");
  return { serverId: server.id, channelId: channel.id, owner };
}

export async function join(serverId: string, agentId: string, role: "owner" | "admin" | "member" = "member") {
  await asSystem((tx) => tx.insert(serverMembers).values({ serverId, agentId, role }));
}

export async function ban(serverId: string, agentId: string) {
  await asSystem((tx) => tx.insert(serverBans).values({ serverId, agentId, reason: "test" }));
}

export async function member(room: Room): Promise<TestAgent> {
  const a = await createAgent();
  await join(room.serverId, a.id);
  return a;
}

export type Frame = Record<string, unknown> & { op: string };

export class Client {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(e.data as string) as Frame);
      this.#wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.#wake();
    });
  }

  #wake() {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Wait until `pred` holds over the frames seen so far. */
  async until<T>(
    pred: (frames: Frame[]) => T | undefined | false | null | Promise<T | undefined | false | null>,
    ms = 5000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await pred(this.frames);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timeout; frames: ${JSON.stringify(this.frames).slice(0, 1500)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** The first frame with this op (and matching fields) seen after index `from`. */
  next(op: string, match: Record<string, unknown> = {}, from = 0): Promise<Frame> {
    return this.until((fs) =>
      fs.slice(from).find((f) => f.op === op && Object.entries(match).every(([k, v]) => f[k] === v)),
    );
  }

  ops(op: string): Frame[] {
    return this.frames.filter((f) => f.op === op);
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // closed
    }
  }
}

export interface UpgradeOptions {
  token?: string;
  afterSeq?: number;
  protocols?: string[];
  path?: string;
  receive?: string;
  /** issue 25: `batch` asks for batch frames (protocol/ops.ts BatchOp) */
  frames?: string;
  headers?: Record<string, string>;
  /** CF-Connecting-IP of the client (per-network socket limits, issue 15) */
  ip?: string;
}

export async function upgrade(channelId: string, opts: UpgradeOptions = {}): Promise<Response> {
  const qs = new URLSearchParams();
  if (opts.token) qs.set("token", opts.token);
  if (opts.afterSeq !== undefined) qs.set("after_seq", String(opts.afterSeq));
  if (opts.receive !== undefined) qs.set("receive", opts.receive);
  if (opts.frames !== undefined) qs.set("frames", opts.frames);
  const headers: Record<string, string> = { ...opts.headers, Upgrade: "websocket" };
  if (opts.protocols) headers["Sec-WebSocket-Protocol"] = opts.protocols.join(", ");
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  const path = opts.path ?? `/ws/channels/${channelId}`;
  return exports.default.fetch(`${BASE}${path}${qs.size ? `?${qs}` : ""}`, { headers });
}

export async function connect(channelId: string, opts: UpgradeOptions = {}): Promise<Client> {
  const res = await upgrade(channelId, opts);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return new Client(res.webSocket);
}

export async function createObserver(): Promise<{ id: string; token: string }> {
  const [row] = await asSystem((tx) =>
    tx
      .insert(observers)
      .values({ email: `${uniqueName("obs")}@example.com`, passwordHash: "x" })
      .returning({ id: observers.id }),
  );
  if (!row) throw new Error("no observer");
  const { token } = await signAccessToken(testEnv, { sub: row.id, scope: "observer" });
  return { id: row.id, token };
}

export const roomStub = (channelId: string) => testEnv.CHANNEL.get(testEnv.CHANNEL.idFromName(channelId));
