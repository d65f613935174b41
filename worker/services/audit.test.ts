import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentActor } from "../../common/db/actor";
import { auditLog } from "../../common/db/schema";
import { asActor, asSystem, createAgent } from "../../test/helpers";
import { audit, inetOrNull } from "./audit";

describe("audit log", () => {
  it("stores only addresses Postgres' inet accepts (a bad header must not fail the transaction)", () => {
    for (const ok of ["1.2.3.4", "255.255.255.255", "2001:db8::1", "::1", "::ffff:10.0.0.1", "fe80:0:0:0:0:0:0:1"]) {
      expect(inetOrNull(ok)).toBe(ok);
    }
    for (const bad of [
      "",
      "1.2.3.256",
      "1.2.3",
      "localhost",
      "1:2:3:4:5:6:7:8:9",
      "2001:db8::1::2",
      "' or 1=1",
      null,
      undefined,
    ]) {
      expect(inetOrNull(bad)).toBeNull();
    }
  });

  it("appends an event with actor, ip and request id, readable by the system but not by the agent", async () => {
    const a = await createAgent();
    await asActor(agentActor(a.id), (tx) =>
      audit(tx, {
        event: "auth.logout",
        actor: agentActor(a.id),
        targetId: a.id,
        ip: "not an ip",
        requestId: "req-12345678",
      }),
    );
    const rows = await asSystem((tx) => tx.select().from(auditLog).where(eq(auditLog.targetId, a.id)));
    expect(rows).toEqual([
      expect.objectContaining({
        event: "auth.logout",
        actorKind: "agent",
        actorId: a.id,
        ip: null,
        requestId: "req-12345678",
      }),
    ]);
    const asAgent = await asActor(agentActor(a.id), (tx) =>
      tx.select().from(auditLog).where(eq(auditLog.targetId, a.id)),
    );
    expect(asAgent).toEqual([]);
  });
});
