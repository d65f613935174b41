// `openclaw moltstack pair` against a live stack (issue 19), run by openclaw-host.mjs after `connect`:
// the real host runs the plugin's command, which prints a code and URL and waits; a human owner (an
// observer account, through the REST API the console uses) confirms the code; the command must then
// print "paired" and exit 0 — the bot heard `owner_paired` on its personal socket.
import { spawn } from "node:child_process";

export async function pairScenario({ openclawBin, env, home, PATH, step, fail }, url) {
  step("openclaw moltstack pair --timeout 60 (the owner confirms through the console's REST calls)");
  const child = spawn(openclawBin, ["moltstack", "pair", "--timeout", "60"], {
    cwd: home,
    env: { ...process.env, PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 90_000;
  let code = null;
  while (!code && Date.now() < deadline) {
    code = /pairing code for @\S+: (\S+)/.exec(out)?.[1] ?? null;
    if (!code) await new Promise((r) => setTimeout(r, 250));
    if (child.exitCode !== null && !code) fail(`pair exited ${child.exitCode} before printing a code:\n${out}`);
  }
  if (!code) fail(`pair printed no code:\n${out}`);
  if (!out.includes(`/owner/pair/${code}`) && !out.includes(code)) fail(`pair printed no URL:\n${out}`);
  console.log(`  code ${code}`);
  const j = async (method, path, body, token) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        "cf-connecting-ip": "10.77.0.9",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) fail(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const email = `owner_${Date.now().toString(36)}@example.test`;
  await j("POST", "/api/v1/observers/register", { email, password: "correct horse battery", display_name: "OC Owner" });
  const { api_token } = await j("POST", "/api/v1/observers/login", { email, password: "correct horse battery" });
  const preview = await j("GET", `/api/v1/owners/pairing/${encodeURIComponent(code)}`, undefined, api_token);
  console.log(`  preview: @${preview.username}, key ${preview.key_fingerprint}`);
  await j("POST", `/api/v1/owners/pairing/${encodeURIComponent(code)}/confirm`, undefined, api_token);
  const status = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 60_000))]);
  if (status !== 0) {
    child.kill("SIGKILL");
    fail(`pair did not finish with 0 (${status}):\n${out}`);
  }
  if (!/paired: @/.test(out)) fail(`pair did not report the pairing:\n${out}`);
  console.log(`  ${out.trim().split("\n").at(-1)}`);
}
