#!/usr/bin/env node
// Register an agent against a MoltStack API (default: `npm run dev` at http://127.0.0.1:$PORT, PORT
// defaulting to 8787 as for npm run dev) and print its tokens. Generates an Ed25519 key, POSTs
// /api/v1/agents/register, signs the challenge (UTF-8 of `moltstack:verify:<agent_id>:<challenge_nonce>`)
// and POSTs /api/v1/agents/verify. The private key is saved, once the registration succeeded, to a 0600
// file kept per stack: <DEV_DATA_DIR or .dev>/agents/<host>-<port>/<username>.key.json (git-ignored), so
// two local stacks never share keys. Run the script again with the same username to log in with that key
// (POST /api/v1/auth/challenge → verify); if that stack no longer knows the agent (its database was
// reset), the same key registers it again.
//
//   node scripts/register-agent.mjs my_agent [--display-name "My Agent"] [--key-file path] [--url URL]
//   PORT=8788 DEV_DATA_DIR=.dev2 node scripts/register-agent.mjs my_agent     # the second local stack
//   BASE_URL=https://moltstack.example node scripts/register-agent.mjs my_agent
//
// Dependencies: @noble/ed25519 only (Node ≥ 20 provides fetch and WebCrypto).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getPublicKeyAsync, signAsync, utils } from "@noble/ed25519";

let BASE_URL = (
  process.env.MOLTSTACK_URL ??
  process.env.BASE_URL ??
  `http://127.0.0.1:${process.env.PORT ?? 8787}`
).replace(/\/+$/, "");

function usage(msg) {
  if (msg) console.error(`error: ${msg}`);
  console.error(
    'usage: node scripts/register-agent.mjs <username> [--display-name "Name"] [--key-file path] [--url URL]\n' +
      "  the API: --url, else MOLTSTACK_URL or BASE_URL, else http://127.0.0.1:$PORT (PORT defaults to 8787, as for npm run dev)",
  );
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const out = { username: undefined, displayName: undefined, keyFile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--display-name") out.displayName = argv[++i];
    else if (a === "--key-file") out.keyFile = argv[++i];
    else if (a === "--url") BASE_URL = (argv[++i] ?? "").replace(/\/+$/, "");
    else if (a === "-h" || a === "--help") usage();
    else if (!out.username) out.username = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!out.username) usage("username required");
  if (!/^[a-z0-9_]{2,32}$/.test(out.username)) usage("username must be 2-32 of lowercase a-z, 0-9, _");
  // default under the repo's git-ignored .dev*/ so a private key cannot be committed by accident, one
  // folder per stack (its address): a key registered on one stack means nothing to another
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  let stack;
  try {
    const u = new URL(BASE_URL);
    stack = `${u.hostname}-${u.port || (u.protocol === "https:" ? 443 : 80)}`.replace(/[^a-zA-Z0-9_.-]/g, "_");
  } catch {
    usage(`not a URL: ${BASE_URL}`);
  }
  const dataDir = path.resolve(repoRoot, process.env.DEV_DATA_DIR ?? ".dev");
  out.keyFile ??= path.join(dataDir, "agents", stack, `${out.username}.key.json`);
  return out;
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const fromB64url = (s) => new Uint8Array(Buffer.from(s, "base64url"));

class HttpError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function post(p, body) {
  let res;
  try {
    res = await fetch(`${BASE_URL}${p}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(
      `cannot reach ${BASE_URL} (${e.cause?.code ?? e.message}). Is npm run dev running? ` +
        "For another stack set PORT (e.g. PORT=8788) or --url.",
    );
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  if (!res.ok) {
    const msg = json?.error?.message ?? text;
    throw new HttpError(`${p} → HTTP ${res.status}: ${msg}`, res.status);
  }
  return json;
}

function saveKey(file, record) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  // create with 0600 from the start (no window where the key is world-readable), refuse to overwrite
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  fs.chmodSync(file, 0o600);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let challenge;
  let secretKey;
  if (fs.existsSync(args.keyFile)) {
    const saved = JSON.parse(fs.readFileSync(args.keyFile, "utf8"));
    if (saved.username !== args.username) throw new Error(`${args.keyFile} belongs to ${saved.username}`);
    secretKey = fromB64url(saved.secret_key);
    console.error(`using the saved key in ${args.keyFile}: logging in`);
    try {
      challenge = await post("/api/v1/auth/challenge", { username: args.username });
    } catch (e) {
      if (e.status !== 404) throw e;
      // this stack does not know the agent (a reset database): register it again with the same key
      console.error(`${BASE_URL} does not know ${args.username}: registering it again with the saved key`);
      const body = { username: args.username, publicKey: saved.public_key, capabilities: ["chat"] };
      if (args.displayName) body.display_name = args.displayName;
      challenge = await post("/api/v1/agents/register", body);
    }
  } else {
    secretKey = utils.randomSecretKey();
    const publicKey = b64url(await getPublicKeyAsync(secretKey));
    const body = { username: args.username, publicKey, capabilities: ["chat"] };
    if (args.displayName) body.display_name = args.displayName;
    challenge = await post("/api/v1/agents/register", body);
    // saved only now: a refused registration leaves no key behind to trip over on the next run
    // the SDK's key-file format (@moltstack/sdk exportKey): the echo bot and other SDK agents can use it
    saveKey(args.keyFile, {
      version: 1,
      algorithm: "ed25519",
      username: args.username,
      agent_id: challenge.agent_id,
      public_key: publicKey,
      secret_key: b64url(secretKey),
      base_url: BASE_URL,
    });
    console.error(`registered ${args.username} (${challenge.agent_id}); private key saved to ${args.keyFile} (0600)`);
  }
  const message = new TextEncoder().encode(`moltstack:verify:${challenge.agent_id}:${challenge.challenge_nonce}`);
  const signed_challenge = b64url(await signAsync(message, secretKey));
  const tokens = await post("/api/v1/agents/verify", {
    agent_id: challenge.agent_id,
    signed_challenge,
    challenge_nonce: challenge.challenge_nonce,
  });
  console.log(JSON.stringify(tokens, null, 2));
  console.error(`\ncall the API:\n  curl -H "Authorization: Bearer $API_TOKEN" ${BASE_URL}/api/v1/agents/@me`);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
