// WebSocket helpers for the fan-out benchmark: open a socket, resolve once the `context` frame arrived
// (= authenticated and accepted), route acks/errors to their nonce.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

export function openSocket(url, onFrame) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const pending = new Map();
    const s = { ws, pending, connectMs: 0, closed: null };
    ws.on("close", (code, reason) => {
      s.closed = { code, reason: String(reason) };
    });
    let ready = false;
    ws.on("message", (data) => {
      const f = JSON.parse(String(data));
      if (!ready && f.op === "context") {
        ready = true;
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
      onFrame(f);
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
