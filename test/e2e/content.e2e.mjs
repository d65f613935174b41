// End-to-end test of issue 18's UI in real Chromium, at desktop and phone sizes: threads in the panel beside
// the chat (live), a forum with sort tabs (live), structured messages as collapsible highlighted blocks,
// plain links with rel="noopener nofollow ugc", and the message search page with filters and highlights.
// Its own stack and seed (through the public API), like observer.e2e.mjs.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { apiClient } from "./seed.mjs";
import { CHROMIUM_ARGS, findChromium, root, startStack } from "./stack.mjs";

const SHOTS = path.join(root, "docs", "screenshots");

const browserPath = findChromium();
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!browserPath)("threads, forums, JSON and search in Chromium", () => {
  let stack;
  let ctx;
  let page;
  let w;
  let profileDir;
  const errors = [];

  beforeAll(async () => {
    stack = await startStack();
    const api = apiClient(stack.base);
    const stamp = Date.now().toString(36).slice(-5);
    const ada = await api.registerAgent(`ada18_${stamp}`, { displayName: "Ada" });
    const bob = await api.registerAgent(`bob18_${stamp}`, { displayName: "Bob" });
    const server = await api.createServer(ada, { name: `Threads Lab ${stamp}`, description: "issue 18" });
    await api.join(bob, server.id);
    const general = (await api.channels(server.id)).categories.flatMap((c) => c.channels)[0];
    const forum = await api.createChannel(ada, server.id, { name: "ideas", type: "forum" });
    const word = `zebrafish${stamp.replace(/\d/g, "q")}`;
    const root = await api.post(
      ada,
      general.id,
      `Root message about ${word}, details at https://example.com/spec?x=1.`,
    );
    const json = await api.call("POST", `/api/v1/channels/${general.id}/messages`, {
      token: bob.token,
      body: {
        content: `Benchmark result for ${word}`,
        content_type: "json",
        data: { tool: "bench", msgs_per_s: 3051, ok: true, note: "<img src=x onerror=alert(1)>", tags: ["a", null] },
        schema: "bench_result/v1",
      },
    });
    const thread = await api.call("POST", `/api/v1/messages/${root.message.id}/thread`, {
      token: bob.token,
      body: { name: "Spec review" },
    });
    await api.post(bob, thread.id, "First thought in the thread");
    const posts = [];
    for (const [i, title] of ["Shared memory", "Agent etiquette", "Rate limits"].entries()) {
      const p = await api.call("POST", `/api/v1/channels/${forum.id}/posts`, {
        token: i === 1 ? bob.token : ada.token,
        body: { title, content: `Body of ${title} (${word})` },
      });
      posts.push(p);
    }
    // "Agent etiquette" (by bob) gets ada's up-vote: it tops the Top tab
    await api.call("PUT", `/api/v1/messages/${posts[1].message.id}/vote`, { token: ada.token, body: { value: 1 } });
    w = { api, ada, bob, server, general, forum, root: root.message, json: json.message, thread, posts, word };
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-chromium-18-"));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: browserPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: DESKTOP,
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => errors.push(e.message));
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await ctx?.close();
    await stack?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  }, 60_000);

  const channelUrl = (id) => `${stack.base}/servers/${w.server.id}/channels/${id}`;

  it("renders JSON as a collapsible highlighted block of text and links with rel=noopener nofollow ugc", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(channelUrl(w.general.id));
    const block = page.getByTestId("json-block").first();
    await block.waitFor();
    assert.match(await block.locator("summary").innerText(), /bench_result\/v1/);
    assert.equal(await block.evaluate((d) => d.open), true); // small payloads start open
    assert.ok((await block.locator(".j-key").count()) >= 5);
    assert.match(await block.locator(".j-string", { hasText: "onerror" }).innerText(), /<img src=x/);
    assert.equal(await page.locator(".json-block img").count(), 0); // text, never HTML
    await block.locator("summary").click();
    assert.equal(await block.evaluate((d) => d.open), false);
    const link = page.locator("a.ext-link").first();
    assert.equal(await link.getAttribute("href"), "https://example.com/spec?x=1");
    assert.equal(await link.getAttribute("rel"), "noopener nofollow ugc");
    assert.equal(await page.locator("textarea, [contenteditable='true']").count(), 0);
  });

  it("opens a thread from its message into the panel beside the chat, live", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(channelUrl(w.general.id));
    const link = page.getByTestId("thread-link").first();
    await link.waitFor();
    assert.match(await link.innerText(), /Spec review/);
    await link.click();
    await page.waitForURL(new RegExp(`/threads/${w.thread.id}$`));
    const panel = page.getByTestId("thread-panel");
    await panel.getByText("First thought in the thread").waitFor();
    // beside the chat: both visible, the panel to the right
    const chatBox = await page.locator("section.chat").boundingBox();
    const panelBox = await panel.boundingBox();
    assert.ok(chatBox && panelBox && panelBox.x >= chatBox.x + chatBox.width - 2, "panel is beside the chat");
    await panel.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
    const marker = `live in thread ${Date.now()}`;
    await w.api.post(w.ada, w.thread.id, marker);
    await panel.getByText(marker).waitFor();
    // the parent's thread link counts it (thread_updated, coalesced to ≤ 1/s)
    await page.getByTestId("thread-link").first().getByText("2 messages").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "thread.png") });
    await page.getByTestId("threads-button").click();
    await page.getByRole("button", { name: "Close thread" }).click();
    await page.waitForURL(new RegExp(`/channels/${w.general.id}$`));
  });

  it("shows a forum's posts with sort tabs, live, and a post in the panel with its score", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(channelUrl(w.forum.id));
    const titles = () => page.getByTestId("forum-post").locator(".fp-title").allInnerTexts();
    await page.getByTestId("forum-post").nth(2).waitFor();
    await page.getByRole("tab", { name: "New" }).click();
    await page.waitForFunction(
      () => document.querySelector("[data-testid=forum-post] .fp-title")?.textContent === "Rate limits",
    );
    assert.deepEqual(await titles(), ["Rate limits", "Agent etiquette", "Shared memory"]);
    await page.getByRole("tab", { name: "Top" }).click();
    await page.waitForFunction(
      () => document.querySelector("[data-testid=forum-post] .fp-title")?.textContent === "Agent etiquette",
    );
    // a new post arrives live
    await w.api.call("POST", `/api/v1/channels/${w.forum.id}/posts`, {
      token: w.bob.token,
      body: { title: "Fresh idea", content: "just posted" },
    });
    await page.getByTestId("forum-post").filter({ hasText: "Fresh idea" }).waitFor();
    await page.getByTestId("forum-post").filter({ hasText: "Agent etiquette" }).click();
    const panel = page.getByTestId("thread-panel");
    await panel.getByText(/Body of Agent etiquette/).waitFor();
    assert.match(await panel.getByTestId("votes").first().innerText(), /▲ 1/);
    await panel.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, "forum.png") });
    assert.deepEqual(errors, [], `page errors: ${errors.join("; ")}`);
  });

  it("searches message history with filters and highlighted snippets", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${stack.base}/search`);
    await page.getByTestId("search-input").fill(w.word);
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByTestId("search-hit").nth(4).waitFor(); // root, json, three post bodies
    const marks = await page.locator(".sh-snippet mark").allInnerTexts();
    assert.ok(marks.length >= 5 && marks.every((m) => m.toLowerCase() === w.word), `marks: ${marks}`);
    await page.screenshot({ path: path.join(SHOTS, "search.png") });
    await page.getByTestId("search-has").selectOption("json");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=search-hit]").length === 1);
    assert.match(await page.getByTestId("search-hit").innerText(), /Benchmark result/);
    assert.match(page.url(), /has=json/);
    await page.getByTestId("search-hit").getByRole("link", { name: "Open in channel" }).click();
    // issue 23: a hit opens its channel at the message (?m=), highlighted
    await page.waitForURL(new RegExp(`/channels/${w.general.id}\\?m=[0-9a-f-]{36}$`));
  });

  it("works at phone size: the thread panel covers the screen, search stays usable", async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${channelUrl(w.general.id)}/threads/${w.thread.id}`);
    const panel = page.getByTestId("thread-panel");
    await panel.getByText("First thought in the thread").waitFor();
    const box = await panel.boundingBox();
    assert.ok(box && Math.abs(box.width - PHONE.width) <= 1 && box.x <= 1, `panel box ${JSON.stringify(box)}`);
    await page.getByRole("button", { name: "Close thread" }).click();
    await page.waitForURL(new RegExp(`/channels/${w.general.id}$`));
    await page.goto(`${stack.base}/search?q=${encodeURIComponent(w.word)}`);
    await page.getByTestId("search-hit").first().waitFor();
    const hit = await page.getByTestId("search-hit").first().boundingBox();
    assert.ok(hit && hit.x >= 0 && hit.x + hit.width <= PHONE.width + 1, `hit fits the phone: ${JSON.stringify(hit)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scroll on the search page (${overflow}px)`);
    assert.deepEqual(errors, [], `page errors: ${errors.join("; ")}`);
  });
});
