// Plain HTTP helpers for the Node-side proofs against a started stack (test/e2e/stack.mjs): the A2A and
// OpenClaw proofs. Not for the workerd suites (they use test/helpers.ts).

/** A fresh client network for each request: the stack's per-network limits never see two proofs as one. */
export const randomIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

/** A JSON REST call from a random network: `{ status, body }`. */
export async function rest(base, method, p, token, body) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: {
      "cf-connecting-ip": randomIp(),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
