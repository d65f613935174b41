import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, BASE } from "../test/helpers";

describe("platform basics", () => {
  it("answers health with a real database round trip", async () => {
    const res = await api("GET", "/api/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", db: "ok", version: expect.any(String) });
  });

  it("gives every response an X-Request-Id and echoes a well-formed incoming one", async () => {
    const a = await api("GET", "/api/v1/health");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const b = await api("GET", "/api/v1/health", { headers: { "x-request-id": "trace-12345678" } });
    expect(b.headers.get("x-request-id")).toBe("trace-12345678");
    const c = await api("GET", "/api/v1/health", { headers: { "x-request-id": "<script>" } });
    expect(c.headers.get("x-request-id")).not.toBe("<script>");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await api("GET", "/api/v1/nope");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: expect.stringContaining("/api/v1/nope") } });
  });

  it("rejects malformed JSON, wrong content types and oversized bodies with 4xx JSON errors", async () => {
    const bad = await api("POST", "/api/v1/health", {
      rawBody: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "bad_request" } });
    const form = await api("POST", "/api/v1/health", {
      rawBody: "a=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const huge = await api("POST", "/api/v1/health", { body: { x: "y".repeat(70_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("sends security headers on every response", async () => {
    const res = await api("GET", "/api/v1/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("serves an OpenAPI 3.1 document and a browsable reference", async () => {
    const doc = await api<{ openapi: string; paths: Record<string, unknown> }>("GET", "/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toContain("/api/v1/health");
    const page = await exports.default.fetch(`${BASE}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/api/v1/openapi.json");
  });
});
