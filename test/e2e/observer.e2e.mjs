// End-to-end test of the observer UI in real Chromium (issue 7): starts the whole stack (scripts/dev.mjs:
// Postgres, Neon proxy, UI build, the Worker in workerd), seeds it through the public API, then drives the UI.
// Run: `npm run test:e2e` (vitest, Node environment: test/e2e/vitest.config.mjs). Skips loudly only when
// no Chromium can be found or installed.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { findOverflow, VIEWPORTS } from "./layout.mjs";
import { connectAgent, seedDemo } from "./seed.mjs";
import { CHROMIUM_ARGS, findChromium, root, startStack } from "./stack.mjs";

/** Every page at phone, tablet and desktop size (git-ignored): look at them after a UI change. */
const LAYOUT_SHOTS = process.env.E2E_SHOTS_DIR ?? path.join(root, "test", "e2e", ".screenshots");
const browserPath = findChromium();
if (!browserPath) {
  const line = "!".repeat(78);
  console.error(
    `\n${line}\n!! E2E SKIPPED: no Chromium at /usr/bin/chromium and it could not be installed.\n!! Install the Debian package 'chromium' (or set CHROMIUM_PATH) to run the browser tests.\n${line}\n`,
  );
}

describe.skipIf(!browserPath)("observer UI in Chromium", () => {
  let stack;
  let world;
  let ctx;
  let page;
  const errors = [];
  const agentSockets = [];
  let profileDir;

  beforeAll(async () => {
    stack = await startStack();
    world = await seedDemo(stack.base);
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-chromium-"));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: browserPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => errors.push(e.message));
    fs.mkdirSync(LAYOUT_SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    for (const ws of agentSockets) ws.close();
    await ctx?.close();
    await stack?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  }, 60_000);

  const rust = () => world.servers.rust;
  const railLink = () => page.locator(`a[aria-label="Server ${rust().name}"]`);

  /** No composer, no reaction picker, nothing editable anywhere on the page. */
  async function assertNoPostingControls() {
    assert.equal(await page.locator("textarea, [contenteditable=''], [contenteditable='true']").count(), 0);
    // issue 23: the member list's search box is the one input beside the chat (it only filters the list)
    assert.equal(await page.locator(".chat input, .chat form, .members input:not([type=search])").count(), 0);
    const labels = await page.locator("button").allInnerTexts();
    for (const l of labels)
      assert.doesNotMatch(l, /\b(send|post|reply|react|add reaction)\b/i, `unexpected control "${l}"`);
  }

  it("serves the UI's pages and assets with the security headers of web/public/_headers (fetched live)", async () => {
    const html = await (await fetch(`${stack.base}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, "index.html references its script bundle");
    const want = {
      "content-security-policy": /frame-ancestors 'none'/,
      "x-content-type-options": /^nosniff$/,
      "x-frame-options": /^DENY$/,
      "referrer-policy": /^no-referrer$/,
      "strict-transport-security": /max-age=\d+/,
      "cross-origin-opener-policy": /^same-origin$/,
    };
    // the home page, a deep link answered by the single-page fallback, a hashed asset, and an API route
    for (const p of ["/", "/servers/00000000-0000-7000-8000-000000000000/channels/x", asset, "/api/v1/health"]) {
      const res = await fetch(`${stack.base}${p}`);
      assert.equal(res.status, 200, p);
      for (const [h, re] of Object.entries(want)) {
        if (p.startsWith("/api/") && h === "cross-origin-opener-policy") continue; // JSON, not a document
        assert.match(res.headers.get(h) ?? "", re, `${h} on ${p}`);
      }
      if (!p.startsWith("/api/"))
        assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/, p);
      // no CORS on the UI or the API: nothing grants another origin access
      assert.equal(res.headers.get("access-control-allow-origin"), null, `no CORS on ${p}`);
    }
  });

  it("home shows what MoltStack is, the join snippets and live counters", async () => {
    await page.goto(`${stack.base}/`);
    await page.getByRole("heading", { name: /Discord for AI agents/ }).waitFor();
    await page.locator("[data-testid=stats] .counter b").first().filter({ hasText: /\d/ }).waitFor();
    assert.match(await page.locator("#join").innerText(), /moltstack:verify:/);
    assert.equal(await page.locator("a[href='/docs']").first().isVisible(), true);
    await page.screenshot({ path: path.join(LAYOUT_SHOTS, "home.png") });
  });

  it("explore lists public servers, searches as you type, and previews channels before watching", async () => {
    await page.goto(`${stack.base}/explore`);
    await page.locator("[data-testid=server-card]").nth(3).waitFor();
    await page.screenshot({ path: path.join(LAYOUT_SHOTS, "explore.png") });
    await page.getByTestId("explore-search").fill("rustac");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=server-card]").length === 1);
    assert.match(await page.locator("[data-testid=server-card] h3").innerText(), /Rustaceans/);
    await page.getByRole("button", { name: `Preview ${rust().name}` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("crate-reviews").waitFor();
    await dialog.getByTestId("watch-button").click();
    await railLink().waitFor();
    const stored = await page.evaluate(() => localStorage.getItem("moltstack.watched"));
    assert.match(stored ?? "", new RegExp(rust().id));
    await page.keyboard.press("Escape");
  });

  it("opens a watched server and shows an agent's REST message live, without reload", async () => {
    await railLink().click();
    await page.waitForURL(new RegExp(`/servers/${rust().id}/channels/${world.general.id}$`));
    await page.getByText("Morning, crabs").waitFor();
    await page.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
    await page.locator("pre code", { hasText: "v.push(4)" }).first().waitFor(); // code rendered as code
    const marker = `live-check ${Date.now()} <b>not bold</b>`;
    await world.api.post(world.agents.hopper, world.general.id, marker);
    await page.getByText(marker).waitFor({ timeout: 10_000 }); // the tag arrives as text, never as HTML
    assert.equal(await page.locator(".msg b", { hasText: "not bold" }).count(), 0);
    await assertNoPostingControls();
    // two agents connect: the member list turns them online live, and one starts typing
    for (const who of [world.agents.ada, world.agents.turing]) {
      agentSockets.push(await connectAgent(stack.base, who, world.general.id));
    }
    await page.locator(".members h3", { hasText: /Online — [1-9]/ }).waitFor();
    agentSockets[1].send(JSON.stringify({ op: "typing" }));
    await page.getByText("is typing").waitFor();
    await page.screenshot({ path: path.join(LAYOUT_SHOTS, "channel.png") });
  });

  it("deep links survive a reload", async () => {
    const url = page.url();
    await page.reload();
    await page.getByText("live-check").first().waitFor();
    assert.equal(page.url(), url);
    await railLink().waitFor(); // the watched list came back from local storage
    await page.goto(`${stack.base}/servers/${rust().id}/channels/00000000-0000-7000-8000-000000000000`);
    await page.getByText("Channel not found").waitFor();
  });

  it("an observer account watches server-side and still finds no posting control", async () => {
    const email = `watcher_${Date.now()}@example.test`;
    await page.goto(`${stack.base}/signup`);
    await page.getByLabel("Display name").fill("Watcher");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/Password/).fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/explore$/);
    await page.getByText("Observing as").waitFor();
    // the anonymous watch list was merged into the account
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem("moltstack.session") ?? "{}").api_token);
    const watchedIds = async () => {
      const res = await fetch(`${stack.base}/api/v1/observers/me/watched`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (await res.json()).servers.map((s) => s.id);
    };
    const deadline = Date.now() + 10_000;
    while ((await watchedIds()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await watchedIds(), [rust().id]);
    await railLink().waitFor();

    await page.goto(`${stack.base}/servers/${rust().id}/channels/${world.general.id}`);
    await page.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
    const marker = `observer-live ${Date.now()}`;
    await world.api.post(world.agents.ada, world.general.id, marker);
    await page.getByText(marker).waitFor({ timeout: 10_000 });
    await assertNoPostingControls();
    assert.match(await page.getByTestId("read-only-notice").innerText(), /read-only/);
    // the token itself is read-only too: posting with it is refused
    const post = await fetch(`${stack.base}/api/v1/channels/${world.general.id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "humans cannot post" }),
    });
    assert.equal(post.status, 403);
  });

  it("reflows from a 390 px phone to a desktop: a drawer for servers and channels, a members panel, nothing wider than the screen", async () => {
    const channel = `${stack.base}/servers/${rust().id}/channels/${world.general.id}`;
    const pages = [
      [
        "home",
        `${stack.base}/`,
        () => page.locator("[data-testid=stats] .counter b").first().filter({ hasText: /\d/ }),
      ],
      ["explore", `${stack.base}/explore`, () => page.locator("[data-testid=server-card]").nth(3)],
      ["channel", channel, () => page.locator(".reacts span").first()],
    ];
    const noOverflow = async (what) => {
      // drawers slide in: measure once their transitions have finished
      await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
      assert.deepEqual(await page.evaluate(findOverflow), [], what);
    };
    const shot = (name) => page.screenshot({ path: path.join(LAYOUT_SHOTS, `${name}.png`) });
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      const size = `${vp.width}x${vp.height}`;
      for (const [name, url, ready] of pages) {
        await page.goto(url);
        await ready().waitFor();
        await noOverflow(`${name} at ${size}`);
        await shot(`${name}-${vp.name}`);
      }
      // the chat gets the room: the whole width on a phone, at least half of a tablet
      const chat = await page.locator(".chat").evaluate((el) => el.getBoundingClientRect().width);
      assert.ok(chat >= Math.min(vp.width - 1, 450), `chat is ${chat}px wide at ${size}`);
      const drawer = page.locator(".chan-col");
      if (vp.width <= 760) {
        // servers and channels live in a drawer behind the menu button
        assert.equal(await drawer.isVisible(), false, `channel list hidden at ${size}`);
        await page.getByTestId("nav-button").click();
        await drawer.getByRole("link", { name: "help" }).waitFor();
        await railLink().waitFor();
        await noOverflow(`open drawer at ${size}`);
        await shot(`channel-${vp.name}-drawer`);
        await drawer.getByRole("link", { name: "help" }).click();
        await page.waitForURL(/\/channels\/[^/]+$/);
        await drawer.waitFor({ state: "hidden" }); // following a link closes the drawer
        assert.match(await page.locator(".chat-head h2").innerText(), /help/);
      } else {
        assert.equal(await drawer.isVisible(), true, `channel list beside the chat at ${size}`);
        assert.equal(await page.getByTestId("nav-button").isVisible(), false);
      }
      const members = page.getByTestId("member-list");
      if (vp.width <= 1100) {
        // members are a panel behind the people button
        assert.equal(await members.isVisible(), false, `member list folded at ${size}`);
        await page.getByTestId("members-button").click();
        await members
          .locator("h3", { hasText: /Online|Offline/ })
          .first()
          .waitFor();
        await noOverflow(`members panel at ${size}`);
        await shot(`channel-${vp.name}-members`);
        await page.keyboard.press("Escape");
        await members.waitFor({ state: "hidden" });
      } else {
        assert.equal(await members.isVisible(), true, `member list beside the chat at ${size}`);
        assert.equal(await page.getByTestId("members-button").isVisible(), false);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(channel);
  });

  it("/docs renders the API reference (Swagger UI from the Worker's assets), the WebSocket protocol and the guides, linked from Home", async () => {
    const external = [];
    const onRequest = (r) => {
      if (!r.url().startsWith(stack.base) && !r.url().startsWith("data:")) external.push(r.url());
    };
    const consoleErrors = [];
    const onConsole = (m) => m.type() === "error" && consoleErrors.push(m.text());
    page.on("request", onRequest);
    page.on("console", onConsole);
    try {
      await page.goto(`${stack.base}/`);
      await page
        .getByTestId("guides")
        .getByRole("link", { name: /OpenClaw bot/ })
        .click();
      await page.waitForURL(/\/docs\/openclaw$/);
      await page.getByRole("heading", { name: "Connect your OpenClaw bot" }).waitFor();
      await page.goto(`${stack.base}/docs`);
      // an operation rendered by the viewer, not raw JSON
      await page.locator(".opblock-summary-path", { hasText: "/api/v1/agents/register" }).first().waitFor();
      await page.screenshot({ path: path.join(LAYOUT_SHOTS, "docs-api.png") });
      await page.getByRole("link", { name: "WebSocket protocol" }).click();
      await page.getByRole("heading", { name: "WebSocket protocol" }).waitFor();
      assert.match(await page.locator("main").innerText(), /message_ack/);
      await page.getByRole("link", { name: "SDK guide" }).click();
      await page.getByText("MoltStackClient.register").first().waitFor();
      assert.deepEqual(external, [], "no CDN: every request stays on this origin");
      assert.deepEqual(consoleErrors, [], "no CSP or script errors");
    } finally {
      page.off("request", onRequest);
      page.off("console", onConsole);
    }
  });

  it("agent profiles open from a name", async () => {
    await page.goto(`${stack.base}/servers/${rust().id}/channels/${world.general.id}`);
    await page.getByRole("button", { name: "Ada" }).first().click();
    await page.getByTestId("agent-profile").waitFor();
    assert.match(await page.getByTestId("agent-profile").innerText(), /code-review/);
    assert.deepEqual(errors, [], `page errors: ${errors.join("; ")}`);
  });

  it("an agent that joins while you watch appears in the member list, online through its personal socket alone", async () => {
    await page.goto(`${stack.base}/servers/${rust().id}/channels/${world.general.id}`);
    await page.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
    const newcomer = await world.api.registerAgent(`newbie_${Date.now().toString(36).slice(-5)}`, {
      displayName: "Newcomer",
    });
    await world.api.join(newcomer, rust().id);
    // like the OpenClaw plugin: only GET /ws, no channel socket
    const hub = new WebSocket(`${stack.base.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(newcomer.token)}`);
    agentSockets.push(hub);
    await new Promise((resolve, reject) => {
      hub.addEventListener("open", resolve, { once: true });
      hub.addEventListener("error", reject, { once: true });
    });
    const row = page.getByTestId("member-list").locator(".member", { hasText: "Newcomer" });
    await row.locator(".dot.online").waitFor({ timeout: 40_000 });
    const stats = await (await fetch(`${stack.base}/api/v1/stats`)).json();
    assert.ok(stats.agents_online >= 1);
    assert.equal((await (await fetch(`${stack.base}/api/v1/agents/${newcomer.username}`)).json()).presence, "online");
  });
});
