// Local stand-in for Neon's proxy, so the Worker uses the very same driver (@neondatabase/serverless)
// locally and in production:
//   1. ws://HOST:PORT/v2?address=pghost:pgport  — Postgres wire protocol over a WebSocket, piped to TCP
//      (what Neon's wsproxy does for Pool/Client). Only loopback targets are allowed.
//   2. POST /sql — Neon's HTTP query endpoint, for the one-shot neon() function.
// Started by `npm run dev` and by the test global setup; never deployed.
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

// plain Node resolution: loaded from vitest's globalSetup, Vite's resolver would pick ws's browser stub
const require = createRequire(import.meta.url);
const { WebSocketServer } = require("ws");
const pg = require("pg");

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const RAW_TYPES = { getTypeParser: () => (v) => v }; // neon() parses text values itself by dataTypeID
const MAX_SQL_BODY = 1 << 20;

const sendJson = (res, status, obj) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(obj));
};

function fieldsOf(r) {
  return r.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: "text",
  }));
}

export function startNeonProxy({ port = 0, host = "127.0.0.1", log = () => {}, control = false } = {}) {
  const pools = new Map();
  const poolFor = (cs) => {
    let p = pools.get(cs);
    if (!p) {
      p = new pg.Pool({ connectionString: cs, max: 4 });
      p.on("error", () => {});
      pools.set(cs, p);
    }
    return p;
  };
  const run = async (c, q) => {
    const r = await c.query({ text: q.query, values: q.params, rowMode: "array", types: RAW_TYPES });
    return { command: r.command, rowCount: r.rowCount, rows: r.rows, fields: fieldsOf(r) };
  };

  async function handleSql(req, res) {
    let body = "";
    for await (const chunk of req) {
      body += chunk;
      if (body.length > MAX_SQL_BODY) return sendJson(res, 413, { message: "request too large" });
    }
    const cs = req.headers["neon-connection-string"];
    if (typeof cs !== "string") return sendJson(res, 400, { message: "missing Neon-Connection-String" });
    const target = new URL(cs);
    if (!LOOPBACK.has(target.hostname)) return sendJson(res, 400, { message: "only loopback databases" });
    const payload = JSON.parse(body);
    const client = await poolFor(cs).connect();
    try {
      if (Array.isArray(payload.queries)) {
        const iso = req.headers["neon-batch-isolation-level"];
        const ro = req.headers["neon-batch-read-only"] === "true";
        const level = typeof iso === "string" ? ` isolation level ${iso.replace(/([a-z])([A-Z])/g, "$1 $2")}` : "";
        await client.query(`begin${level}${ro ? " read only" : ""}`);
        try {
          const results = [];
          for (const q of payload.queries) results.push(await run(client, q));
          await client.query("commit");
          sendJson(res, 200, { results });
        } catch (e) {
          await client.query("rollback");
          throw e;
        }
      } else {
        sendJson(res, 200, await run(client, payload));
      }
    } catch (e) {
      sendJson(res, 400, { message: e.message, code: e.code, detail: e.detail, hint: e.hint, severity: e.severity });
    } finally {
      client.release();
    }
  }

  // Fault injection for test/faults (only with `control: true`, which test/global-setup.ts passes; never
  // `npm run dev`). A connection is tagged by the `tag` query parameter of its WebSocket URL (an HTTP query,
  // of its /sql URL: only `pause` applies there); every control
  // call takes `?tag=` and touches only connections with that tag, so faults never disturb other suites.
  const links = new Set(); // { tag, ws, sock, hold: {up, down, downAfter}, held: {up: Buffer[], down: Buffer[]} }
  const paused = new Set(); // tags whose new connections are refused
  const opened = new Map(); // tag -> connections attempted (refused ones included)
  const tagged = (tag) => [...links].filter((l) => l.tag === tag);
  const release = (l) => {
    l.hold = { up: false, down: false, downAfter: null };
    for (const b of l.held.up.splice(0)) l.sock.write(b);
    for (const b of l.held.down.splice(0)) if (l.ws.readyState === l.ws.OPEN) l.ws.send(b, { binary: true });
  };
  const stallDefault = new Map(); // tag -> hold applied to connections opened while stalled
  function handleControl(req, res) {
    const url = new URL(req.url ?? "/", "http://x");
    const tag = url.searchParams.get("tag") ?? "";
    const op = url.pathname.slice("/__control/".length);
    if (!tag) return sendJson(res, 400, { message: "tag required" });
    const ls = tagged(tag);
    if (op === "cut" || op === "pause") {
      if (op === "pause") paused.add(tag);
      for (const l of ls) l.close();
    } else if (op === "stall") {
      const dir = url.searchParams.get("dir") ?? "both";
      const after = url.searchParams.get("after");
      const hold = {
        up: dir === "up" || dir === "both",
        down: (dir === "down" || dir === "both") && !after,
        downAfter: dir === "down" && after ? after.toLowerCase() : null,
      };
      stallDefault.set(tag, hold);
      for (const l of ls) l.hold = { ...hold };
    } else if (op === "resume") {
      paused.delete(tag);
      stallDefault.delete(tag);
      for (const l of ls) release(l);
    } else if (op === "stats") {
      // nothing to change
    } else return sendJson(res, 404, { message: "unknown control" });
    const held = (d) => ls.reduce((n, l) => n + l.held[d].reduce((m, b) => m + b.length, 0), 0);
    sendJson(res, 200, {
      op,
      connections: tagged(tag).length,
      paused: paused.has(tag),
      opened: opened.get(tag) ?? 0,
      held_up_bytes: held("up"),
      held_down_bytes: held("down"),
    });
  }

  const server = http.createServer((req, res) => {
    if (control && req.method === "POST" && req.url?.startsWith("/__control/")) {
      handleControl(req, res);
    } else if (req.method === "POST" && req.url?.startsWith("/sql")) {
      // the HTTP path honours the same faults: a paused tag's queries find no database (the socket drops)
      const tag = control ? new URL(req.url, "http://x").searchParams.get("tag") : null;
      if (tag) opened.set(tag, (opened.get(tag) ?? 0) + 1);
      if (tag && paused.has(tag)) {
        req.socket.destroy();
        return;
      }
      handleSql(req, res).catch((e) => sendJson(res, 500, { message: String(e?.message ?? e) }));
    } else sendJson(res, 404, { message: "not found" });
  });
  const sockets = new Set();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    const params = new URL(req.url ?? "/", "http://x").searchParams;
    const addr = params.get("address") ?? "127.0.0.1:5432";
    const tag = control ? params.get("tag") : null;
    if (tag) opened.set(tag, (opened.get(tag) ?? 0) + 1);
    if (tag && paused.has(tag)) {
      ws.close(1011, "database unavailable (fault injection)");
      return;
    }
    const i = addr.lastIndexOf(":");
    const pgHost = addr.slice(0, i).replace(/^\[|\]$/g, "");
    const pgPort = Number(addr.slice(i + 1));
    if (!LOOPBACK.has(pgHost) || !Number.isInteger(pgPort)) {
      ws.close(1008, "only loopback databases");
      return;
    }
    const sock = net.connect({ host: pgHost === "localhost" ? "127.0.0.1" : pgHost, port: pgPort });
    sockets.add(sock);
    sock.setNoDelay(true);
    log(`open ${addr}`);
    const pending = [];
    sock.on("connect", () => {
      for (const b of pending) sock.write(b);
      pending.length = 0;
    });
    const link = tag
      ? {
          tag,
          ws,
          sock,
          hold: { ...(stallDefault.get(tag) ?? { up: false, down: false, downAfter: null }) },
          held: { up: [], down: [] },
        }
      : null;
    ws.on("message", (data) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (link?.hold.up) return void link.held.up.push(buf);
      if (link?.hold.downAfter && buf.toString("latin1").toLowerCase().includes(link.hold.downAfter)) {
        link.hold.down = true; // the matching statement reaches Postgres; its answer never comes back
      }
      if (sock.connecting) pending.push(buf);
      else sock.write(buf);
    });
    sock.on("data", (chunk) => {
      if (link?.hold.down) return void link.held.down.push(chunk);
      if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
    });
    const closeBoth = () => {
      try {
        ws.close();
      } catch {}
      sock.destroy();
      sockets.delete(sock);
      if (link) links.delete(link);
    };
    if (link) {
      link.close = () => {
        ws.terminate();
        closeBoth();
      };
      links.add(link);
    }
    sock.on("error", (e) => {
      log(`tcp error ${e.message}`);
      closeBoth();
    });
    sock.on("close", closeBoth);
    ws.on("close", () => sock.destroy());
    ws.on("error", () => sock.destroy());
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: addr.port,
        wsProxy: `${host}:${addr.port}/v2`,
        controlUrl: control ? `http://${host}:${addr.port}/__control` : null,
        /** Drop every open database connection (used by fault-injection tests). */
        cutAll() {
          for (const c of wss.clients) c.terminate();
          for (const s of sockets) s.destroy();
        },
        async close() {
          for (const c of wss.clients) c.terminate();
          wss.close();
          await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
          server.closeAllConnections?.();
          await new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const p = await startNeonProxy({
    port: Number(process.env.NEON_PROXY_PORT ?? 5488),
    log: (m) => process.env.PROXY_VERBOSE && console.log("[neon-proxy]", m),
  });
  console.log(`[neon-proxy] ws://127.0.0.1:${p.port}/v2 (pg over ws) + http://127.0.0.1:${p.port}/sql`);
}
