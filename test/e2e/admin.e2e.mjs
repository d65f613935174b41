// The operator's path end to end in real Chromium (issue 24): an observer account made admin over the owner
// connection (scripts/admin-grant.mjs, as `npm run admin:grant` does), a burst of messages that the Ops
// dashboard shows from the local metrics sink, an agent suspended from the UI that drops offline live (its
// sockets close with 4001), and the audit entry of that suspension found in the audit log. Phone width too.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { grantAdmin } from "../../scripts/admin-grant.mjs";
import { findOverflow } from "./layout.mjs";
import { apiClient } from "./seed.mjs";
import { CHROMIUM_ARGS, findChromium, root, startStack } from "./stack.mjs";

const SHOTS = process.env.E2E_SHOTS_DIR ?? path.join(root, "test", "e2e", ".screenshots");
const browserPath = findChromium();
if (!browserPath) console.error("\n!! E2E SKIPPED (admin): no Chromium at /usr/bin/chromium\n");

/** A socket that records how it closed. */
function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const s = { ws, closed: null };
    ws.addEventListener("close", (e) => (s.closed = e.code));
    ws.addEventListener("open", () => resolve(s), { once: true });
    ws.addEventListener("error", () => reject(new Error(`socket ${url} failed`)), { once: true });
  });
}

async function until(what, fn, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!browserPath)("operators in Chromium", () => {
  let stack;
  let ctx;
  let page;
  let profileDir;
  let api;
  let bot;
  let sockets = [];
  const errors = [];
  const email = `ops_${Date.now()}@example.test`;

  beforeAll(async () => {
    stack = await startStack();
    api = apiClient(stack.base);
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-chromium-"));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: browserPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => errors.push(e.message));
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.close();
    await ctx?.close();
    await stack?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  }, 60_000);

  it("an observer is not an operator until admin:grant runs over the owner connection", async () => {
    await page.goto(`${stack.base}/signup`);
    await page.getByLabel("Display name").fill("Operator");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/Password/).fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/explore$/);
    await page.goto(`${stack.base}/ops`);
    await page.getByText("Not found").waitFor();
    await grantAdmin(`postgres://postgres:postgres@127.0.0.1:${stack.pgPort}/moltstack`, email);
    await page.goto(`${stack.base}/ops`);
    await page.getByRole("heading", { name: "Ops" }).waitFor();
    await page.locator("a[aria-label='Ops dashboard']").waitFor();
  });

  it("the dashboard shows a burst of messages (local metrics sink) with charts", async () => {
    const stamp = Date.now().toString(36).slice(-5);
    const a = await api.registerAgent(`burst_a_${stamp}`);
    const b = await api.registerAgent(`burst_b_${stamp}`);
    bot = await api.registerAgent(`target_${stamp}`);
    const server = await api.createServer(a, { name: `Ops burst ${stamp}`, description: "a burst" });
    for (const x of [b, bot]) await api.join(x, server.id);
    const channel = (await api.channels(server.id)).categories.flatMap((c) => c.channels)[0];
    // the target bot is online: its personal socket and a channel socket
    const ws = stack.base.replace(/^http/, "ws");
    sockets = [
      await openSocket(`${ws}/ws?token=${encodeURIComponent(bot.token)}`),
      await openSocket(`${ws}/ws/channels/${channel.id}?token=${encodeURIComponent(bot.token)}`),
    ];
    // the burst: 2 × 25 messages (under the 30/min per agent per channel limit)
    const posts = [];
    for (let i = 0; i < 25; i++)
      for (const x of [a, b]) posts.push(api.post(x, channel.id, `burst ${i} from ${x.username}`));
    await Promise.all(posts);
    await page.goto(`${stack.base}/ops`);
    await page.locator(".ops-chart canvas").first().waitFor();
    const total = await until("the burst on the dashboard", async () => {
      const t = await page.getByTestId("accepted-total").innerText();
      const n = Number(/^(\d+) accepted/.exec(t)?.[1] ?? 0);
      return n >= 50 ? n : null;
    });
    assert.ok(total >= 50);
    // throughput by channel names the burst's channel; top talkers name the two agents
    await page.getByRole("cell", { name: `Ops burst ${stamp} #${channel.name}`, exact: true }).waitFor();
    await page.getByRole("cell", { name: a.username, exact: true }).waitFor();
    assert.ok((await page.locator(".ops-chart canvas").count()) >= 3);
    await page.screenshot({ path: path.join(SHOTS, "ops-dashboard.png"), fullPage: true });
  });

  it("suspending an agent from the UI drops it offline live and closes its sockets", async () => {
    await page.goto(`${stack.base}/ops?tab=agents`);
    await page.getByLabel("Find agents by username").fill(bot.username);
    await page.getByRole("button", { name: "Find" }).click();
    const row = page.locator(`li[data-agent="${bot.username}"]`);
    await row
      .getByTestId("presence")
      .filter({ hasText: /^online$/ })
      .waitFor();
    await page.getByLabel("Reason").fill("e2e: spam burst");
    await row.getByRole("button", { name: "Suspend" }).click();
    await row.getByTestId("presence").filter({ hasText: "suspended · offline" }).waitFor();
    // the server closes both (the revocation push: hub, then the channel objects it knows): the hub's close
    // completes with 4001; Node's WebSocket may stay CLOSING on the channel socket until the TCP close, so
    // "closing or closed" is what is checked there
    await until("the bot's sockets to close", () => sockets.every((s) => s.ws.readyState >= 2)).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(sockets.map((s) => [s.closed, s.ws.readyState]))}`);
    });
    await until("the hub socket's close code", () => sockets[0].closed !== null);
    assert.equal(sockets[0].closed, 4001);
    // its token no longer works
    const me = await fetch(`${stack.base}/api/v1/agents/@me`, { headers: { authorization: `Bearer ${bot.token}` } });
    assert.equal(me.status, 401);
  });

  it("the audit log has the suspension, with the admin as actor and the request id", async () => {
    await page.goto(`${stack.base}/ops?tab=audit`);
    await page.getByLabel("event (or prefix.)").fill("agent.suspended");
    await page.getByLabel("target id").fill(bot.id);
    await page.getByRole("button", { name: "Filter" }).click();
    const row = page.locator("tr[data-event='agent.suspended']");
    await row.waitFor();
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /observer/);
    assert.match(await row.locator("td.mono").innerText(), /^[A-Za-z0-9._:-]{8,64}$/);
  });

  it("works at 360 px: no horizontal overflow outside the tables' own scroll", async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    for (const tab of ["dashboard", "agents", "servers", "reports", "audit"]) {
      await page.goto(`${stack.base}/ops?tab=${tab}`);
      await page.getByRole("heading", { name: "Ops" }).waitFor();
      if (tab === "dashboard") await page.locator(".ops-chart canvas").first().waitFor();
      const bad = (await page.evaluate(findOverflow)).filter((b) => !b.includes("ops-table-wrap"));
      assert.deepEqual(bad, [], `${tab} at 360 px`);
      await page.screenshot({ path: path.join(SHOTS, `ops-${tab}-phone.png`) });
    }
    assert.deepEqual(errors, []);
  });
});
