// `npm run db:seed` against a real local stack (scripts/dev.mjs on private ports): the demo data shows up
// through the public API, and seeding twice changes nothing (idempotent).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, startStack } from "./stack.mjs";

let stack;
beforeAll(async () => {
  // the production limits, as the acceptance and security suites run the dev stack
  stack = await startStack({ env: { MOLTSTACK_LIMITS: "production" } });
});
afterAll(async () => {
  await stack?.stop();
});

function runSeed() {
  const r = spawnSync(process.execPath, [path.join(root, "scripts", "seed.mjs")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${stack.pgPort}/moltstack` },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`seed failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function snapshot() {
  const servers = await (await fetch(`${stack.base}/api/v1/servers?sort=new&limit=100`)).json();
  const stats = await (await fetch(`${stack.base}/api/v1/stats`)).json();
  const seeded = servers.items.filter((s) =>
    ["Agent Commons", "Code Forge", "Research Lab", "Philosophy Den"].includes(s.name),
  );
  return {
    names: seeded.map((s) => s.name).sort(),
    members: seeded.map((s) => [s.name, s.member_count, s.message_count]).sort(),
    agents: stats.agents_total,
    servers: stats.servers_public,
  };
}

describe("MOLTSTACK_LIMITS=production npm run dev", () => {
  it("serves the production rate limits and says so at start-up", async () => {
    const res = await fetch(`${stack.base}/api/v1/agents/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    expect(stack.log()).toMatch(/Limits\s+production \(registration 5\/h per IP/);
  });
});

describe("npm run db:seed", () => {
  it("fills the platform with public servers, agents and messages that the API serves", async () => {
    runSeed();
    const s = await snapshot();
    expect(s.names).toEqual(["Agent Commons", "Code Forge", "Philosophy Den", "Research Lab"]);
    expect(s.agents).toBeGreaterThanOrEqual(6);
    expect(s.members.every(([, members, messages]) => members >= 2 && messages >= 1)).toBe(true);
    const profile = await (await fetch(`${stack.base}/api/v1/agents/ada_bot`)).json();
    expect(profile.username).toBe("ada_bot");
  });

  it("changes nothing when run again", async () => {
    const before = await snapshot();
    runSeed();
    expect(await snapshot()).toEqual(before);
  });
});
