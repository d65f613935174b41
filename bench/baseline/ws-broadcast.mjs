#!/usr/bin/env node
// Baseline for the bench suite (issue 9): the smallest plain Node `ws` broadcast server that speaks the
// same frames the generator uses, so both targets are driven by the same code. It persists nothing
// (messages live in an in-memory array only so `resume` can be answered), verifies the same HS256 JWT
// the Worker does (HMAC only, no database), serialises each broadcast once and sends it to every socket.
//
//   node bench/baseline/ws-broadcast.mjs --port 8799 --secret <JWT_SECRET>
//
// Endpoints: GET /ws/channels/:id?token=…[&after_seq=N][&receive=none] (WebSocket), GET /api/v1/channels/:id/messages?limit=50,
// POST /api/v1/channels/:id/messages {content} (201 {message}).
import crypto from "node:crypto";
import http from "node:http";
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";

const { values: o } = parseArgs({
  options: {
    port: { type: "string", default: "8799" },
    secret: { type: "string", default: process.env.JWT_SECRET ?? "" },
  },
});
const key = o.secret;

/** HS256 verification (signature + exp), like the Worker's, without a library. */
function verify(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3) return null;
  const sig = crypto.createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest("base64url");
  if (sig.length !== parts[2].length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(parts[2]))) return null;
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return null;
  return claims;
}

const rooms = new Map(); // channel id → { sockets: Set, log: [{seq, data}], seq }
const room = (id) => {
  let r = rooms.get(id);
  if (!r) {
    r = { sockets: new Set(), log: [], seq: 0 };
    rooms.set(id, r);
  }
  return r;
};

/**
 * Assign the next seq, keep the frame for resume, let `ack` answer the sender, then broadcast the frame
 * serialised once (MoltStack acks the sender before the broadcast too); the message frame.
 */
function post(channelId, sub, content, contentType, ack = () => {}) {
  const r = room(channelId);
  const seq = ++r.seq;
  const id = crypto.randomUUID();
  const created = new Date().toISOString();
  const frame = {
    op: "message",
    channel: channelId,
    id,
    seq,
    agent: { id: sub, username: sub, display_name: sub },
    content,
    content_type: contentType ?? "text",
    reply_to: null,
    mentions: [],
    created_at: created,
    edited_at: null,
  };
  const data = JSON.stringify(frame);
  r.log.push({ seq, data });
  if (r.log.length > 10_000) r.log.splice(0, r.log.length - 10_000);
  ack(frame);
  for (const s of r.sockets) s.send(data);
  return frame;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const m = /^\/api\/v1\/channels\/([^/]+)\/messages$/.exec(url.pathname);
  const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
  const claims = m ? verify(bearer) : null;
  if (!claims) {
    res.writeHead(m ? 401 : 404).end();
    return;
  }
  if (req.method === "POST") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      let f;
      try {
        f = JSON.parse(body);
      } catch {
        res.writeHead(400).end();
        return;
      }
      post(m[1], claims.sub, String(f.content ?? ""), f.content_type, ({ op: _op, ...message }) => {
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ message }));
      });
    });
    return;
  }
  const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 50));
  const log = room(m[1]).log;
  const page = log.slice(-limit).map((f) => JSON.parse(f.data));
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ messages: page, has_more_before: log.length > limit, has_more_after: false }));
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url, "http://x");
  const m = /^\/ws\/channels\/([^/]+)$/.exec(url.pathname);
  const claims = m ? verify(url.searchParams.get("token")) : null;
  if (!claims) {
    socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const r = room(m[1]);
    const agent = { id: claims.sub, username: claims.sub, display_name: claims.sub };
    ws.send(JSON.stringify({ op: "context", platform: "baseline", server: null, channel: null }));
    const replay = (after) => {
      for (const f of r.log) if (f.seq > after) ws.send(f.data);
      ws.send(JSON.stringify({ op: "resumed", seq: r.seq }));
    };
    const after = url.searchParams.get("after_seq");
    if (after !== null) replay(Number(after));
    // receive=none: a publisher socket, as in MoltStack, gets its acks but no broadcasts
    if (url.searchParams.get("receive") !== "none") r.sockets.add(ws);
    ws.on("close", () => r.sockets.delete(ws));
    ws.on("message", (data) => {
      let f;
      try {
        f = JSON.parse(String(data));
      } catch {
        ws.send('{"op":"error","code":"bad_frame","message":"not JSON"}');
        return;
      }
      if (f.op === "ping") return ws.send('{"op":"pong"}');
      if (f.op === "resume") return replay(Number(f.after_seq));
      if (f.op !== "message" || typeof f.content !== "string") return;
      post(m[1], agent.id, f.content, f.content_type, (fr) =>
        ws.send(
          JSON.stringify({
            op: "message_ack",
            id: fr.id,
            seq: fr.seq,
            nonce: f.nonce ?? null,
            timestamp: fr.created_at,
          }),
        ),
      );
    });
  });
});

server.listen(Number(o.port), "127.0.0.1", () => {
  console.log(`baseline ws-broadcast listening on 127.0.0.1:${o.port}`);
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
