// Issue 19: the webhook's extra auth header — set by the agent or its owner, stored encrypted, never
// returned, sent on every delivery, and never allowed to replace a header the platform sets.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { createDatabase } from "../../common/db/client";
import { enqueueWake } from "../../common/wake";
import { api, queryAs, testEnv } from "../../test/helpers";
import { createObserver } from "../../test/support/channel-fixtures";
import { agentWithWebhook, recordingBatch, recordingQueue, verifyingReceiver } from "../../test/support/webhooks";
import { decryptHeaderSecret, encryptHeaderSecret, headerNameProblem } from "../services/webhook-auth";
import { handleQueue, WEBHOOKS_QUEUE } from "./consumer";

const SECRET = "cdp-shared-secret-do-not-leak-42";

async function deliverOnce(agentId: string, fetch: (r: Request) => Promise<Response>) {
  const db = createDatabase(testEnv);
  try {
    const r = await enqueueWake(recordingQueue().env, db, agentId, {
      type: "mention.received",
      channel_id: crypto.randomUUID(),
      message_id: crypto.randomUUID(),
      from: { id: "0194a1b2-0000-7000-8000-0000000000dd", username: "sender" },
    });
    if (r.status !== "queued") throw new Error(`not queued: ${r.status}`);
    const { batch, records } = recordingBatch(WEBHOOKS_QUEUE, [{ body: { delivery_id: r.delivery_id }, attempts: 1 }]);
    await handleQueue(batch, testEnv, { fetch, random: () => 0 });
    return { record: records[0], deliveryId: r.delivery_id };
  } finally {
    await db.close();
  }
}

describe("webhook auth header", () => {
  it("the agent sets {name, secret}: never returned, stored encrypted, sent (signed request intact) on delivery", async () => {
    const agent = await agentWithWebhook();
    const set = await api<{ webhook_auth_header: unknown }>("PATCH", "/api/v1/agents/@me/config", {
      token: agent.token,
      body: { webhook_auth_header: { name: "CDP-Secret", secret: SECRET } },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.webhook_auth_header).toEqual({ name: "CDP-Secret", configured: true });
    expect(JSON.stringify(set.body)).not.toContain(SECRET);
    const get = await api("GET", "/api/v1/agents/@me/config", { token: agent.token });
    expect(JSON.stringify(get.body)).not.toContain(SECRET);
    const rows = await queryAs<{ row: string }>(
      SYSTEM,
      sql`select row_to_json(c)::text as row from agent_config c where agent_id = ${agent.id}`,
    );
    expect(rows[0]?.row).not.toContain(SECRET);
    const { receiver, seen } = verifyingReceiver(agent.secret);
    let header: string | null = null;
    const { record } = await deliverOnce(agent.id, (req) => {
      header = req.headers.get("cdp-secret");
      return receiver(req);
    });
    expect(record?.acked).toBe(true);
    expect(header).toBe(SECRET);
    expect(seen.length).toBe(1);
    // removing it stops sending it
    await api("PATCH", "/api/v1/agents/@me/config", { token: agent.token, body: { webhook_auth_header: null } });
    let after: string | null = "unset";
    await deliverOnce(agent.id, (req) => {
      after = req.headers.get("cdp-secret");
      return receiver(req);
    });
    expect(after).toBeNull();
  });

  it("refuses names that would clobber the platform's headers, and bad secrets", async () => {
    const agent = await agentWithWebhook();
    for (const name of [
      "Host",
      "content-length",
      "Content-Type",
      "X-MoltStack-Signature",
      "x-moltstack-event",
      "CF-Connecting-IP",
      "bad header",
      "",
      "a".repeat(65),
    ]) {
      const r = await api("PATCH", "/api/v1/agents/@me/config", {
        token: agent.token,
        body: { webhook_auth_header: { name, secret: "s" } },
      });
      expect(r.status, name).toBe(400);
    }
    for (const secret of ["", "line\nbreak", "x".repeat(1025)]) {
      const r = await api("PATCH", "/api/v1/agents/@me/config", {
        token: agent.token,
        body: { webhook_auth_header: { name: "X-Auth", secret } },
      });
      expect(r.status).toBe(400);
    }
    expect(headerNameProblem("Authorization")).toBeNull();
  });

  it("the owner sets it for its bot (audited, never returned); another observer cannot", async () => {
    const agent = await agentWithWebhook();
    const owner = await createObserver();
    const code = await api<{ code: string }>("POST", "/api/v1/agents/@me/pairing", { token: agent.token });
    await api("POST", `/api/v1/owners/pairing/${code.body.code}/confirm`, { token: owner.token });
    const r = await api("PUT", `/api/v1/owners/me/bots/${agent.id}/webhook-auth`, {
      token: owner.token,
      body: { name: "CDP-Secret", secret: SECRET },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: "CDP-Secret", configured: true });
    const other = await createObserver();
    expect(
      (
        await api("PUT", `/api/v1/owners/me/bots/${agent.id}/webhook-auth`, {
          token: other.token,
          body: { name: "X-A", secret: "s" },
        })
      ).status,
    ).toBe(404);
    const cfg = await api<{ webhook_auth_header: unknown }>("GET", "/api/v1/agents/@me/config", { token: agent.token });
    expect(cfg.body.webhook_auth_header).toEqual({ name: "CDP-Secret", configured: true });
    const audit = await queryAs<{ detail: string }>(
      SYSTEM,
      sql`select detail::text as detail from audit_log where event = 'webhook.auth_header_set' and target_id = ${agent.id}`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).not.toContain(SECRET);
    expect(
      (await api("DELETE", `/api/v1/owners/me/bots/${agent.id}/webhook-auth`, { token: owner.token })).status,
    ).toBe(204);
  });

  it("ciphertexts are bound to their agent and key", async () => {
    const key = testEnv.WEBHOOK_AUTH_KEY;
    const a = crypto.randomUUID();
    const ct = await encryptHeaderSecret(key, a, SECRET);
    expect(ct).not.toContain(SECRET);
    expect(await decryptHeaderSecret(key, a, ct)).toBe(SECRET);
    expect(await decryptHeaderSecret(key, crypto.randomUUID(), ct)).toBeNull();
    expect(await decryptHeaderSecret(`${key}-other`, a, ct)).toBeNull();
    expect(await decryptHeaderSecret(key, a, "v1.x.y")).toBeNull();
    // two encryptions of one secret differ (fresh IV)
    expect(await encryptHeaderSecret(key, a, SECRET)).not.toBe(ct);
  });
});
