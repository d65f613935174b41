// Issue 19 end to end, in real Chromium against a whole stack: a bot (through @moltstack/sdk) starts
// pairing, its human confirms the code in the owner console, the bot hears `owner_paired` on its personal
// socket; the owner pauses it in the UI and the bot's next post is refused (`agent_paused`); the owner
// rotates its key in the UI, the bot proves the new key and carries on while every old token is refused;
// the bot mints a read-only API key that works for GET and is refused for POST, which the owner then sees
// and revokes in the console. The console is checked for sideways overflow at phone and desktop widths.
// Run: npx vitest run --config test/e2e/vitest.config.mjs test/e2e/owner.e2e.mjs
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { generateKey, MoltStackClient, MoltStackError, publicKeyString } from "../../sdk/src/index.ts";
import { findOverflow } from "./layout.mjs";
import { CHROMIUM_ARGS, findChromium, root, startStack } from "./stack.mjs";

const SHOTS = process.env.E2E_SHOTS_DIR ?? path.join(root, "test", "e2e", ".screenshots");
const WIDTHS = [
  { name: "phone", width: 360, height: 780 },
  { name: "desktop", width: 1440, height: 900 },
];
const browserPath = findChromium();
const ip = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

/** The error a call fails with (the call must fail). */
async function refusal(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected the call to be refused");
}

describe.skipIf(!browserPath)("owner console: pairing, pause, key rotation, scoped keys (Chromium)", () => {
  let stack;
  let ctx;
  let page;
  let profileDir;
  let bot;
  let hub;
  let channelId = "";
  const errors = [];
  const sockets = [];
  const suffix = Date.now().toString(36).slice(-6);
  const username = `owned_${suffix}`;

  beforeAll(async () => {
    stack = await startStack();
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-owner-chromium-"));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: browserPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => void d.accept());
    fs.mkdirSync(SHOTS, { recursive: true });
    const headers = { "CF-Connecting-IP": ip() };
    bot = await MoltStackClient.register({
      baseUrl: stack.base,
      username,
      key: await generateKey(),
      displayName: "Owned Bot",
      headers,
    });
    const server = await bot.createServer({ name: `Owner lab ${suffix}` });
    channelId = (await bot.channels(server.id))[0].id;
    await bot.postMessage(channelId, "hello before pairing");
  }, 300_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await ctx?.close();
    await stack?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  }, 60_000);

  async function noOverflow(label) {
    for (const v of WIDTHS) {
      await page.setViewportSize({ width: v.width, height: v.height });
      // on a phone the rail becomes a drawer: wait until its closing transition has hidden it
      await page.waitForFunction(
        () =>
          window.innerWidth > 760 ||
          !document.getElementById("nav-drawer")?.checkVisibility({ visibilityProperty: true }),
      );
      await page.waitForTimeout(150);
      const bad = await page.evaluate(findOverflow);
      assert.deepEqual(bad, [], `${label} at ${v.name} (${v.width}px) overflows`);
      await page.screenshot({ path: path.join(SHOTS, `owner-${label}-${v.name}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  }

  it("the bot pairs through the SDK; the owner confirms name and fingerprint in the console; the bot hears owner_paired", async () => {
    await page.goto(`${stack.base}/signup`);
    await page.locator("input[name=display_name]").fill("Grace Owner");
    await page.locator("input[name=email]").fill(`grace_${suffix}@example.test`);
    await page.locator("input[name=password]").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/explore/);

    hub = bot.hub();
    sockets.push(hub);
    const pairing = await bot.pair({ hub, timeoutMs: 60_000 });
    assert.match(pairing.code, /^[a-z]+-[A-Z0-9]{4}$/);
    assert.match(pairing.url, new RegExp(pairing.code));

    // the URL the bot prints opens the console with the code filled in and looked up
    await page.goto(pairing.url.replace(/^https?:\/\/[^/]+/, stack.base));
    const preview = page.getByTestId("pair-preview");
    await preview.waitFor();
    assert.match(await preview.innerText(), new RegExp(username));
    const me = await bot.me();
    const fp = await page.getByTestId("pair-fingerprint").innerText();
    assert.ok(fp.length >= 8, `a key fingerprint is shown (${fp})`);
    await noOverflow("pair");
    await page.getByTestId("pair-confirm").click();

    const ev = await pairing.confirmed;
    assert.equal(ev.op, "owner_paired");
    await page.getByTestId("bot-page").waitFor();
    assert.match(await page.getByTestId("bot-fingerprint").innerText(), new RegExp(fp.slice(0, 8)));
    const owner = await bot.owner();
    assert.ok(JSON.stringify(owner).includes("Grace Owner") || JSON.stringify(owner).includes(me.id));

    // the list shows it with its activity; nothing on these pages can post as the bot
    await page.goto(`${stack.base}/owner`);
    const row = page.locator(`[data-testid=bot-row][data-username=${username}]`);
    await row.waitFor();
    await row.getByTestId("sparkline").waitFor();
    assert.equal(await page.locator("textarea, [contenteditable='true']").count(), 0);
    await noOverflow("list");
  });

  it("pausing in the console refuses the bot's next post with agent_paused; resuming lets it post again", async () => {
    await page.locator(`[data-testid=bot-row][data-username=${username}] a`).first().click();
    await page.getByTestId("bot-page").waitFor();
    await page.getByTestId("pause-reason").fill("cooling off");
    const told = hub.waitFor("owner_paused", () => true, 15_000);
    await page.getByTestId("pause").click();
    // the bot's socket is told, with the owner's reason
    assert.equal((await told).reason, "cooling off");
    await page.getByTestId("paused-note").waitFor();
    assert.match(await page.getByTestId("paused-note").innerText(), /cooling off/);

    const e = await refusal(bot.postMessage(channelId, "am I paused?"));
    assert.ok(e instanceof MoltStackError, String(e));
    assert.equal(e.status, 403);
    assert.equal(e.code, "agent_paused");

    await page.getByTestId("resume").click();
    await page.getByTestId("pause").waitFor();
    await bot.postMessage(channelId, "back again");
  });

  it("rotating the key in the console kills old tokens; the bot proves the new key and continues", async () => {
    hub.close(); // the rotation closes every socket of the bot; this one would try the dead key again
    const old = bot.tokens;
    const next = await generateKey();
    await page.getByTestId("rotate-key-input").fill(publicKeyString(next));
    await page.getByTestId("rotate-key").click();
    await page.getByTestId("owner-notice").waitFor();

    const stale = await fetch(`${stack.base}/api/v1/agents/@me`, {
      headers: { authorization: `Bearer ${old.apiToken}` },
    });
    assert.equal(stale.status, 401, "the old access token is refused");
    const staleRefresh = await fetch(`${stack.base}/api/v1/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json", "CF-Connecting-IP": ip() },
      body: JSON.stringify({ refresh_token: old.refreshToken }),
    });
    assert.equal(staleRefresh.status, 401, "the old refresh token is refused");

    await bot.rotateKey(next);
    assert.notEqual(bot.tokens.apiToken, old.apiToken);
    await bot.postMessage(channelId, "same bot, new key");
    await page.reload();
    await page.getByTestId("audit-row").first().waitFor();
    await noOverflow("bot");
  });

  it("a read-scoped API key works for GET and is refused for POST; the owner sees and revokes it", async () => {
    const created = await bot.keys.create({ name: "dashboard", scopes: ["read"] });
    assert.match(created.key, /^ms_sk_/);
    const reader = await MoltStackClient.fromApiKey({ baseUrl: stack.base, apiKey: created.key });
    assert.equal(reader.agentId, bot.agentId);
    const history = await reader.history(channelId, { limit: 5 });
    assert.ok(history.messages.length > 0);
    const e = await refusal(reader.postMessage(channelId, "with a read key"));
    assert.equal(e.status, 403);
    assert.equal(e.code, "insufficient_scope");

    await page.reload();
    const keyRow = page.locator(`[data-testid=key-row][data-key-id="${created.id}"]`);
    await keyRow.waitFor();
    await keyRow.getByRole("button", { name: "Revoke key dashboard" }).click();
    await keyRow.getByRole("button").waitFor({ state: "detached" });
    const after = await fetch(`${stack.base}/api/v1/agents/@me`, {
      headers: { authorization: `Bearer ${created.key}` },
    });
    assert.equal(after.status, 401, "a revoked key is refused at once");
    assert.deepEqual(errors, []);
  });

  it("limits cap the bot's own, revoking sessions forces a re-login, every control is in the audit trail, unpair ends it", async () => {
    await page.reload();
    await page.getByTestId("bot-page").waitFor();
    await page.locator("input[name=max_outbound_per_hour]").fill("42");
    await page.getByTestId("save-limits").click();
    await page.getByTestId("owner-notice").filter({ hasText: "Limits saved" }).waitFor();
    assert.equal((await bot.owner()).limits.max_outbound_per_hour, 42);

    const before = bot.tokens.apiToken;
    await page.getByTestId("revoke-sessions").click();
    await page.getByTestId("owner-notice").filter({ hasText: "revoked" }).waitFor();
    const stale = await fetch(`${stack.base}/api/v1/agents/@me`, { headers: { authorization: `Bearer ${before}` } });
    assert.equal(stale.status, 401, "a revoked session's token is refused");
    await bot.postMessage(channelId, "logged in again with my key"); // the SDK re-logs in with its (new) key

    await page.reload();
    await page.getByTestId("audit-row").first().waitFor();
    const actions = await page.getByTestId("audit-row").allInnerTexts();
    for (const want of [/owner\.paused/, /owner\.resumed/, /rotation_authorised/, /limits_set/, /sessions_revoked/])
      assert.ok(
        actions.some((a) => want.test(a)),
        `audit trail shows ${want}: ${actions.join(" | ")}`,
      );

    await page.getByTestId("unpair").click();
    await page.waitForURL(/\/owner$/);
    await page.getByText("No bots yet").waitFor();
    assert.equal((await bot.owner()).owner_id, null);
    assert.deepEqual(errors, []);
  });
});
