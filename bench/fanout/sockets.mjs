// WebSocket helpers for the fan-out benchmark: open a socket, resolve once the `context` frame arrived
// (= authenticated and accepted), route acks/errors to their nonce.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

/**
 * `onFrame` gets every parsed frame after `context` except acks/errors answering a pending nonce. With
 * `onFrame === null` (a sender that ignores broadcasts) frames that are not acks or errors are only
 * counted (`s.frames`), not parsed, so the generator's cost does not hide the server's.
 */
export function openSocket(url, onFrame, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timer = setTimeout(() => {
      if (ready) return;
      ws.terminate();
      reject(new Error(`no context frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const pending = new Map();
    const s = { ws, pending, connectMs: 0, closed: null, frames: 0, relay: null };
    // which relay object holds the socket (durable-objects/relay: the x-moltstack-relay header), if any
    ws.on("upgrade", (res) => {
      s.relay = res.headers["x-moltstack-relay"] ?? null;
    });
    ws.on("close", (code, reason) => {
      s.closed = { code, reason: String(reason) };
    });
    let ready = false;
    ws.on("message", (data) => {
      const text = String(data);
      if (ready && onFrame === null && !text.startsWith('{"op":"message_ack"') && !text.startsWith('{"op":"error"')) {
        s.frames++;
        return;
      }
      const f = JSON.parse(text);
      if (!ready && f.op === "context") {
        ready = true;
        clearTimeout(timer);
        s.connectMs = performance.now() - t0;
        resolve(s);
        return;
      }
      if ((f.op === "message_ack" || f.op === "error") && f.nonce && pending.has(f.nonce)) {
        const cb = pending.get(f.nonce);
        pending.delete(f.nonce);
        cb(f);
        return;
      }
      if (onFrame) onFrame(f);
      else s.frames++;
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on("error", (e) => {
      if (!ready) reject(e);
    });
  });
}

/** Run `factories` with at most `concurrency` in flight. */
export async function connectAll(factories, concurrency) {
  const out = new Array(factories.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, factories.length) }, async () => {
      while (next < factories.length) {
        const i = next++;
        out[i] = await factories[i]();
      }
    }),
  );
  return out;
}
