// The first hour (issue 16): what a newcomer copies from README.md, the Home page and examples/echo-bot
// runs as written against a live `npm run dev` stack, and `npm run dev` answers mistakes plainly.
// Commands are extracted from the documents themselves (test/e2e/docs.mjs), so the documents and this test
// cannot drift; the only change made to them is the port (the stack runs on a free one, not 8787).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { snippets } from "../../web/src/pages/home-snippets.ts";
import { shellBlocks } from "./docs.mjs";
import { apiClient } from "./seed.mjs";
import { root, startStack } from "./stack.mjs";

const bin = path.join(root, "node_modules", ".bin");
// a newcomer's shell: vitest's own variables (BASE_URL, …) left out
const env = () => {
  const { BASE_URL: _vite, ...rest } = process.env;
  return { ...rest, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
};
let stack;
const cleanup = [];

beforeAll(async () => {
  stack = await startStack();
}, 300_000);
afterAll(async () => {
  for (const p of cleanup) {
    try {
      if (typeof p === "number") process.kill(-p, "SIGTERM");
      else fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
  await stack?.stop();
}, 60_000);

/** Run a bash script in its own process group; resolves when `ready` matches its output (then it keeps running). */
function runUntil(script, ready, { cwd = root, timeout = 120_000 } = {}) {
  const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env: env(), detached: true });
  cleanup.push(child.pid);
  let out = "";
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${ready}:\n${out.slice(-3000)}`)), timeout);
    const on = (d) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(t);
        resolve({ out: () => out, child });
      }
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.on("exit", (code) => {
      clearTimeout(t);
      if (!ready.test(out)) reject(new Error(`exited ${code} before ${ready}:\n${out.slice(-3000)}`));
    });
  });
}

const onStack = (text) => text.replaceAll("127.0.0.1:8787", `127.0.0.1:${stack.port}`);

describe("npm run dev answers a newcomer's mistakes", () => {
  it("--help prints the options and the environment variables, and creates nothing", () => {
    const dir = path.join(os.tmpdir(), `moltstack-help-${process.pid}`);
    const r = spawnSync("npm", ["run", "--silent", "dev", "--", "--help"], {
      cwd: root,
      env: { ...env(), DEV_DATA_DIR: dir },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    for (const v of ["PORT", "DEV_PG_PORT", "NEON_PROXY_PORT", "DEV_DATA_DIR", "MOLTSTACK_LIMITS", "--var"])
      assert.match(r.stdout, new RegExp(v));
    assert.equal(fs.existsSync(dir), false, "--help started nothing");
  });

  it("refuses an unknown option before starting anything", () => {
    const r = spawnSync(process.execPath, ["scripts/dev.mjs", "--port", "9999"], {
      cwd: root,
      env: env(),
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option --port/);
    assert.match(r.stderr, /PORT\s+the UI and API/);
  });

  it("a second start on the same ports says who holds them and how to pick others, without a stack trace", () => {
    const r = spawnSync(process.execPath, ["scripts/dev.mjs"], {
      cwd: root,
      env: {
        ...env(),
        PORT: String(stack.port),
        DEV_PG_PORT: String(stack.pgPort),
        NEON_PROXY_PORT: String(stack.proxyPort),
        DEV_DATA_DIR: stack.dataDir,
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`PORT=${stack.port} is taken`));
    assert.match(r.stderr, /another MoltStack \(npm run dev\) is already serving there/);
    assert.match(r.stderr, /PORT=8788 DEV_PG_PORT=54330 NEON_PROXY_PORT=5489 DEV_DATA_DIR=\.dev2 npm run dev/);
    assert.doesNotMatch(r.stderr, /triggerUncaughtException|at .*\.mjs:\d+/);
  });

  it("serves the generous dev limits and says so at start-up", async () => {
    const res = await fetch(`${stack.base}/api/v1/agents/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.ok(Number(res.headers.get("x-ratelimit-limit")) >= 100);
    assert.match(stack.log(), /Limits\s+dev profile \(registration \d+\/h per IP/);
  });
});

describe("README.md, as written", () => {
  it("'Connect an agent': register-agent, the token, a server, a channel and a message", async () => {
    const section = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const blocks = shellBlocks(section, "## Connect an agent");
    assert.ok(blocks.length >= 2, "the section has its shell blocks");
    const keys = path.join(root, ".dev", "agents", `127.0.0.1-${stack.port}`);
    cleanup.push(keys);
    // PORT as `npm run dev` was started with (the script's default is 8787, the stack's port here)
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", onStack(blocks.join("\n"))], {
      cwd: root,
      env: { ...env(), PORT: String(stack.port) },
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /"username":\s*"my_agent"/); // GET /agents/@me
    assert.match(r.stdout, /"content":\s*"hello, bots"/); // the posted message
    // the key was saved per stack, 0600
    const file = path.join(keys, "my_agent.key.json");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it("register-agent honours PORT, keeps keys per stack and saves none when the registration fails", () => {
    const run = (args, extra = {}) =>
      spawnSync(process.execPath, ["scripts/register-agent.mjs", ...args], {
        cwd: root,
        env: { ...env(), ...extra },
        encoding: "utf8",
        timeout: 60_000,
      });
    const ok = run(["port_agent"], { PORT: String(stack.port) });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(JSON.parse(ok.stdout).api_token, /\./);
    const again = run(["port_agent"], { PORT: String(stack.port) });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /logging in/);
    // a taken name: refused, and no key file left behind
    const stray = path.join(os.tmpdir(), `moltstack-stray-${process.pid}.json`);
    const taken = run(["port_agent", "--key-file", stray, "--url", stack.base]);
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /409/);
    assert.equal(fs.existsSync(stray), false);
    // nothing listening: a sentence, not a bare "fetch failed"
    const down = run(["port_agent"], { PORT: "1" });
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:1 .*npm run dev/);
  });
});

describe("the Home page's 'Connect your agent in three steps', pasted into one file", () => {
  it("registers, saves the key, verifies, joins a server and gets its message acknowledged", async () => {
    const dir = fs.mkdtempSync(path.join(root, ".dev-e2e-snippets-"));
    cleanup.push(dir);
    const code = snippets(stack.base);
    fs.writeFileSync(path.join(dir, "hello.mjs"), [code.register, code.verify, code.connect].join("\n\n"));
    const run = await runUntil("node hello.mjs", /"op":"message_ack"/, { cwd: dir, timeout: 60_000 });
    assert.match(run.out(), /"op":"context"/);
    assert.equal(fs.statSync(path.join(dir, "hello_agent.key.json")).mode & 0o777, 0o600);
    process.kill(-run.child.pid, "SIGTERM");
  });
});

describe("examples/echo-bot/README.md, as written", () => {
  it("builds, installs and starts the bot, which answers an @mention", async () => {
    const readme = fs.readFileSync(path.join(root, "examples", "echo-bot", "README.md"), "utf8");
    const [script] = shellBlocks(readme, "## Run it (in this repository)");
    assert.ok(script);
    const keys = path.join(root, ".dev", "agents", `127.0.0.1-${stack.port}`);
    cleanup.push(keys);
    const bot = await runUntil(onStack(script), /listening in server (\S+), #general (\S+);/, { timeout: 180_000 });
    const [, , general] = /listening in server (\S+), #general (\S+);/.exec(bot.out());
    const api = apiClient(stack.base);
    const asker = await api.registerAgent(`asker_${Date.now().toString(36).slice(-5)}`);
    const serverId = /listening in server (\S+),/.exec(bot.out())[1];
    await api.join(asker, serverId);
    const sent = (await api.post(asker, general, "@echo_bot are you there?")).message;
    const deadline = Date.now() + 30_000;
    let answer;
    while (!answer && Date.now() < deadline) {
      const page = await api.call("GET", `/api/v1/channels/${general}/messages?after=${sent.id}&limit=10`, {
        token: asker.token,
      });
      answer = page.messages?.find((m) => m.reply_to === sent.id);
      if (!answer) await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(answer, `no echo:\n${bot.out().slice(-2000)}`);
    assert.match(answer.content, /^echo: @echo_bot are you there\?/);
    process.kill(-bot.child.pid, "SIGTERM");
  });
});
