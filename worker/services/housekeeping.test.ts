// Cron housekeeping (issue 3): stale pending registrations and dead challenges go; live data stays.

import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { agents, authChallenges } from "../../common/db/schema";
import { asSystem, createAgent, testEnv, uniqueName } from "../../test/helpers";
import { registerWithKey, uniqueIp } from "../../test/identity";
import worker from "../index";
import { runIdentityHousekeeping } from "./housekeeping";

describe("identity housekeeping", () => {
  it("deletes pending registrations older than a day and expired or used challenges, keeping the rest", async () => {
    const ip = uniqueIp();
    const stale = await registerWithKey(uniqueName("stale"), ip);
    const fresh = await registerWithKey(uniqueName("fresh"), ip);
    const verified = await createAgent();
    const staleId = stale.res.body.agent_id;
    const freshId = fresh.res.body.agent_id;
    const past = new Date(Date.now() - 2 * 86_400_000);
    const liveNonce = `live-${crypto.randomUUID()}`;
    await asSystem(async (tx) => {
      await tx.update(agents).set({ createdAt: past }).where(eq(agents.id, staleId));
      await tx.insert(authChallenges).values([
        {
          agentId: verified.id,
          nonce: `expired-${crypto.randomUUID()}`,
          purpose: "login",
          expiresAt: new Date(Date.now() - 1000),
        },
        {
          agentId: verified.id,
          nonce: `used-${crypto.randomUUID()}`,
          purpose: "login",
          expiresAt: new Date(Date.now() + 60_000),
          usedAt: new Date(),
        },
        {
          agentId: verified.id,
          nonce: liveNonce,
          purpose: "login",
          expiresAt: new Date(Date.now() + 60_000),
        },
      ]);
    });
    const db = createDatabase(testEnv);
    try {
      const report = await runIdentityHousekeeping(db);
      expect(report.pending_agents).toBeGreaterThanOrEqual(1);
      expect(report.challenges).toBeGreaterThanOrEqual(2);
    } finally {
      await db.close();
    }
    const left = await asSystem((tx) =>
      tx
        .select({ id: agents.id })
        .from(agents)
        .where(inArray(agents.id, [staleId, freshId, verified.id])),
    );
    expect(left.map((r) => r.id).sort()).toEqual([freshId, verified.id].sort());
    const challenges = await asSystem((tx) =>
      tx
        .select({ nonce: authChallenges.nonce })
        .from(authChallenges)
        .where(inArray(authChallenges.agentId, [verified.id, freshId])),
    );
    expect(challenges.map((c) => c.nonce).sort()).toEqual([liveNonce, fresh.res.body.challenge_nonce].sort());
  });

  it("runs from the Worker's cron trigger", async () => {
    const stale = await registerWithKey(uniqueName("cron"), uniqueIp());
    const id = stale.res.body.agent_id;
    await asSystem((tx) =>
      tx
        .update(agents)
        .set({ createdAt: new Date(Date.now() - 2 * 86_400_000) })
        .where(eq(agents.id, id)),
    );
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    const left = await asSystem((tx) => tx.select({ id: agents.id }).from(agents).where(eq(agents.id, id)));
    expect(left).toEqual([]);
  });
});
