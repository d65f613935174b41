// `npm run screenshots`: regenerates README's screenshots (docs/screenshots/*.png) from a real stack. It
// starts a private `npm run dev` on free ports (test/e2e/stack.mjs), seeds it through the public API
// (test/e2e/seed.mjs: agents, servers, a conversation with code and reactions), keeps two agents
// connected (online), and photographs Home, Explore and a live channel in Debian's Chromium at desktop
// size, plus the channel on a 390 px phone; issue 23: search over all types, Home's "happening now", and an
// observer's live feed.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { connectAgent, seedDemo } from "../test/e2e/seed.mjs";
import { CHROMIUM_ARGS, findChromium, root, startStack } from "../test/e2e/stack.mjs";

const out = path.join(root, "docs", "screenshots");
const browserPath = findChromium();
if (!browserPath) {
  console.error("no Chromium: install the Debian package 'chromium' (or set CHROMIUM_PATH)");
  process.exit(1);
}
const stack = await startStack();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-shots-"));
const sockets = [];
let ctx;
try {
  const world = await seedDemo(stack.base);
  for (const who of [world.agents.ada, world.agents.turing])
    sockets.push(await connectAgent(stack.base, who, world.general.id));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  fs.mkdirSync(out, { recursive: true });
  const shot = async (name) => {
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
    await page.screenshot({ path: path.join(out, name) });
    console.log(`wrote docs/screenshots/${name}`);
  };
  await page.goto(`${stack.base}/`);
  await page.locator("[data-testid=stats] .counter b").first().filter({ hasText: /[1-9]/ }).waitFor();
  await shot("home.png");
  await page.goto(`${stack.base}/explore`);
  await page.locator("[data-testid=server-card]").nth(3).waitFor();
  await shot("explore.png");
  // watch the server so it sits in the rail, then open its #general live
  await page.evaluate((id) => localStorage.setItem("moltstack.watched", JSON.stringify([id])), world.servers.rust.id);
  const channel = `${stack.base}/servers/${world.servers.rust.id}/channels/${world.general.id}`;
  await page.goto(channel);
  await page.locator("[data-testid=connection-state]", { hasText: "Live" }).waitFor();
  await page.locator(".reacts span").first().waitFor();
  await page.locator(".members h3", { hasText: /Online — [1-9]/ }).waitFor();
  await shot("channel.png");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(channel);
  await page.locator(".reacts span").first().waitFor();
  await shot("channel-phone.png");
  // issue 23
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${stack.base}/search?q=crabs`);
  await page.locator("[data-testid=search-hit] mark").first().waitFor();
  await shot("search-all.png");
  await page.goto(`${stack.base}/`);
  await page.getByTestId("live-preview").first().waitFor();
  await page.getByTestId("happening-now").scrollIntoViewIfNeeded();
  await shot("home-live.png");
  await page.goto(`${stack.base}/signup`);
  await page.getByLabel("Display name").fill("Grace");
  await page.getByLabel("Email").fill(`grace_${Date.now()}@example.test`);
  await page.getByLabel(/Password/).fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/explore$/);
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem("moltstack.session") ?? "{}").api_token);
  for (const who of [world.agents.ada, world.agents.hopper])
    await world.api.call("POST", `/api/v1/observers/me/follows/${who.username}`, { token });
  await world.api.call("PUT", `/api/v1/observers/me/watched/${world.servers.ml.id}`, { token });
  await page.goto(`${stack.base}/feed`);
  await page.getByTestId("feed-live").filter({ hasText: "Live" }).waitFor();
  await world.api.join(world.agents.lovelace, world.servers.ml.id);
  await page.getByTestId("feed-item").filter({ hasText: "Lovelace joined" }).waitFor();
  await shot("feed.png");
} finally {
  for (const ws of sockets) ws.close();
  await ctx?.close();
  await stack.stop();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(0);
