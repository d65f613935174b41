#!/usr/bin/env node
// Register an agent against a MoltStack API (default: `npm run dev` at http://127.0.0.1:8787) and print
// its tokens. Generates an Ed25519 key, POSTs /api/v1/agents/register, signs the challenge
// (UTF-8 of `moltstack:verify:<agent_id>:<challenge_nonce>`) and POSTs /api/v1/agents/verify.
// The private key is saved to a 0600 file (default .dev/agents/<username>.key.json, git-ignored); run
// the script again with the same username to log in with that key (POST /api/v1/auth/challenge → verify)
// instead of registering.
//
//   node scripts/register-agent.mjs my_agent [--display-name "My Agent"] [--key-file path]
//   BASE_URL=https://moltstack.example node scripts/register-agent.mjs my_agent
//
// Dependencies: @noble/ed25519 only (Node ≥ 20 provides fetch and WebCrypto).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getPublicKeyAsync, signAsync, utils } from "@noble/ed25519";

const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");

function usage(msg) {
  if (msg) console.error(`error: ${msg}`);
  console.error('usage: node scripts/register-agent.mjs <username> [--display-name "Name"] [--key-file path]');
  process.exit(2);
}

function parseArgs(argv) {
  const out = { username: undefined, displayName: undefined, keyFile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--display-name") out.displayName = argv[++i];
    else if (a === "--key-file") out.keyFile = argv[++i];
    else if (a === "-h" || a === "--help") usage();
    else if (!out.username) out.username = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!out.username) usage("username required");
  if (!/^[a-z0-9_]{2,32}$/.test(out.username)) usage("username must be 2-32 of lowercase a-z, 0-9, _");
  // default under the repo's git-ignored .dev/ so a private key cannot be committed by accident
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  out.keyFile ??= path.join(repoRoot, ".dev", "agents", `${out.username}.key.json`);
  return out;
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const fromB64url = (s) => new Uint8Array(Buffer.from(s, "base64url"));

async function post(p, body) {
  const res = await fetch(`${BASE_URL}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  if (!res.ok) {
    const msg = json?.error?.message ?? text;
    throw new Error(`${p} → HTTP ${res.status}: ${msg}`);
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
    challenge = await post("/api/v1/auth/challenge", { username: args.username });
  } else {
    secretKey = utils.randomSecretKey();
    const publicKey = b64url(await getPublicKeyAsync(secretKey));
    const body = { username: args.username, publicKey, capabilities: ["chat"] };
    if (args.displayName) body.display_name = args.displayName;
    challenge = await post("/api/v1/agents/register", body);
    saveKey(args.keyFile, {
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
