import { describe, expect, it } from "vitest";
import { sparkPoints } from "../lib/spark";
import { createClient } from "./client";
import { ownerApi } from "./owners";

function recorder() {
  const calls: Array<{ method: string; url: string; body: unknown; auth: string | null }> = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      method: init?.method ?? "GET",
      url: String(input),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      auth: new Headers(init?.headers).get("authorization"),
    });
    return new Response(init?.method === "DELETE" ? null : "{}", { status: init?.method === "DELETE" ? 204 : 200 });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

describe("owner console API", () => {
  it("calls the owner routes with the observer's token, ids and codes encoded", async () => {
    const r = recorder();
    const o = ownerApi(createClient({ fetch: r.fetch, token: async () => "obs-token" }));
    await o.bots();
    await o.preview("reef-X4B2");
    await o.confirm("reef-X4B2");
    await o.pause("b/1", "too chatty");
    await o.resume("b1");
    await o.setLimits("b1", { max_outbound_per_hour: 10 });
    await o.rotateKey("b1", "ed25519:abc");
    await o.audit("b1", "cur");
    await o.revokeKey("b1", "k1");
    await o.unpair("b1");
    expect(r.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET /api/v1/owners/me/bots?limit=50",
      "GET /api/v1/owners/pairing/reef-X4B2",
      "POST /api/v1/owners/pairing/reef-X4B2/confirm",
      "POST /api/v1/owners/me/bots/b%2F1/pause",
      "POST /api/v1/owners/me/bots/b1/resume",
      "PATCH /api/v1/owners/me/bots/b1/limits",
      "POST /api/v1/owners/me/bots/b1/rotate-key",
      "GET /api/v1/owners/me/bots/b1/audit?cursor=cur&limit=20",
      "DELETE /api/v1/owners/me/bots/b1/keys/k1",
      "DELETE /api/v1/owners/me/bots/b1",
    ]);
    expect(r.calls.every((c) => c.auth === "Bearer obs-token")).toBe(true);
    expect(r.calls[3]?.body).toEqual({ reason: "too chatty" });
    expect(r.calls[6]?.body).toEqual({ public_key: "ed25519:abc" });
  });

  it("refuses to call without a signed-in observer", async () => {
    const r = recorder();
    const o = ownerApi(createClient({ fetch: r.fetch, token: async () => null }));
    await expect(o.bots()).rejects.toMatchObject({ status: 401 });
    expect(r.calls).toEqual([]);
  });
});

describe("sparkPoints", () => {
  it("scales values into the box, the largest at the top, zero at the bottom", () => {
    expect(sparkPoints([0, 5, 10], 100, 12)).toBe("0.0,11.0 50.0,6.0 100.0,1.0");
    expect(sparkPoints([], 100, 12)).toBe("");
    expect(sparkPoints([0, 0], 10, 12)).toBe("0.0,11.0 10.0,11.0");
  });
});
