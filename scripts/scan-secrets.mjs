#!/usr/bin/env node
// Secret scan of every tracked (and not-ignored new) file (issue 10, "Supply chain and secrets"), run by `npm run test:hardening`
// (and so by .ci/run). It runs in Node because `git ls-files` is not available inside workerd. It fails on:
// private keys, MoltStack refresh tokens (msrt_…), JWT-looking strings, webhook secrets (whsec_…), cloud and
// forge tokens, database URLs with a real password for a non-loopback host, and tracked env files. The
// documented local development values (.dev.vars.example, loopback URLs) are allowed; a line may opt out
// with the marker `scan-secrets: allow` (none does today). Also checks that the lockfile is tracked.
//
// Usage: node scripts/scan-secrets.mjs [--json <report file>]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

/** @type {[string, RegExp][]} */
export const PATTERNS = [
  ["private key", /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/],
  ["MoltStack refresh token", /\bmsrt_[A-Za-z0-9_-]{32,}/],
  ["JWT", /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}/],
  ["webhook secret", /\bwhsec_[A-Za-z0-9_+/=-]{16,}/],
  ["MoltStack API key", /\bms_sk_[A-Za-z0-9_-]{43}/],
  ["AWS access key", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ["Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ["Stripe live key", /\b[sr]k_live_[A-Za-z0-9]{16,}/],
  ["Cloudflare API token assignment", /CLOUDFLARE_API_TOKEN\s*[=:]\s*["']?[A-Za-z0-9_-]{30,}/],
];

const DB_URL = /\bpostgres(?:ql)?:\/\/([^:@\s/'"`]+):([^@\s'"`]+)@([^/:\s'"`?]+)/g;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
/** a password that is obviously a placeholder in documentation */
const PLACEHOLDER = /^(?:…|\.\.\.|<[^>]*>|\$\{[^}]*\}|\$[A-Z_]+|\*+|x+|pw|password|PASSWORD|pass|secret|PASS)$/;
/** published test vectors (docs/WEBHOOKS.md): known to everyone on purpose, so not secrets */
const KNOWN_TEST_VECTORS = ["whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"];
const ENV_FILES = /(^|\/)(\.env(\.[^/]*)?|\.dev\.vars)$/;
const ENV_ALLOWED = new Set([".dev.vars.example"]);
const ALLOW_MARKER = "scan-secrets: allow";
const MAX_BYTES = 2 * 1024 * 1024;

export function scanText(file, text) {
  const findings = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.includes(ALLOW_MARKER)) return;
    const checked = KNOWN_TEST_VECTORS.reduce((l, v) => l.split(v).join("<test-vector>"), line);
    for (const [what, re] of PATTERNS) if (re.test(checked)) findings.push({ file, line: i + 1, what });
    for (const m of checked.matchAll(DB_URL)) {
      const [, , password, host] = m;
      if (LOOPBACK.has(host) || PLACEHOLDER.test(password)) continue;
      findings.push({ file, line: i + 1, what: `database URL with a password for ${host}` });
    }
  });
  return findings;
}

export function scanRepo() {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  const findings = [];
  let scanned = 0;
  for (const file of files) {
    if (ENV_FILES.test(file) && !ENV_ALLOWED.has(path.basename(file))) {
      findings.push({ file, line: 0, what: "tracked environment file" });
    }
    const full = path.join(root, file);
    let st;
    try {
      st = fs.statSync(full);
    } catch {
      continue; // deleted in the work tree
    }
    if (!st.isFile() || st.size > MAX_BYTES) continue;
    const buf = fs.readFileSync(full);
    if (buf.includes(0)) continue; // binary
    scanned += 1;
    findings.push(...scanText(file, buf.toString("utf8")));
  }
  const lockfileTracked = files.includes("package-lock.json");
  return { files: files.length, scanned, findings, lockfileTracked };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = scanRepo();
  const out = { ...r, ok: r.findings.length === 0 && r.lockfileTracked };
  const i = process.argv.indexOf("--json");
  if (i > 0 && process.argv[i + 1]) fs.writeFileSync(process.argv[i + 1], JSON.stringify(out, null, 2));
  for (const f of r.findings) console.error(`[scan-secrets] ${f.file}:${f.line}: ${f.what}`);
  if (!r.lockfileTracked) console.error("[scan-secrets] package-lock.json is not tracked");
  console.log(
    `[scan-secrets] ${r.scanned} of ${r.files} tracked files scanned, ${r.findings.length} findings, lockfile ${r.lockfileTracked ? "tracked" : "MISSING"}`,
  );
  process.exit(out.ok ? 0 : 1);
}
