// Response headers (issue 10, "Bad input"): every kind of response the Worker produces — JSON, 404, 401,
// 400, 413, 415, 426 from the socket route, the OpenAPI document, the /docs page — carries the security
// headers; the static observer UI gets the same set from web/public/_headers (assets never reach the
// Worker in production, so that file is what browsers see). CORS: the API is same-origin only, so no
// response ever carries Access-Control-Allow-Origin, for any Origin, preflight included.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import uiHeaders from "../../web/public/_headers?raw";
import { BASE, createAgent } from "../helpers";
import { report } from "./support";

const REQUIRED: [string, RegExp][] = [
  ["x-content-type-options", /^nosniff$/],
  ["x-frame-options", /^DENY$/],
  ["content-security-policy", /frame-ancestors 'none'/],
  ["referrer-policy", /^no-referrer$/],
  ["strict-transport-security", /max-age=\d{8,}/],
];

interface Req {
  what: string;
  path: string;
  init?: RequestInit;
  status: number;
}

async function cases(): Promise<Req[]> {
  const a = await createAgent();
  const auth = { authorization: `Bearer ${a.token}` };
  return [
    { what: "JSON", path: "/api/v1/health", status: 200 },
    { what: "OpenAPI document", path: "/api/v1/openapi.json", status: 200 },
    { what: "docs page", path: "/docs", status: 200 },
    { what: "authenticated JSON", path: "/api/v1/agents/@me", init: { headers: auth }, status: 200 },
    { what: "unknown route", path: "/api/v1/nope", status: 404 },
    { what: "401", path: "/api/v1/agents/@me", status: 401 },
    {
      what: "400 validation",
      path: "/api/v1/servers",
      init: { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" },
      status: 400,
    },
    {
      what: "400 bad JSON",
      path: "/api/v1/servers",
      init: { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{" },
      status: 400,
    },
    {
      what: "413",
      path: "/api/v1/servers",
      init: { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "x".repeat(70_000) },
      status: 413,
    },
    {
      what: "415",
      path: "/api/v1/servers",
      init: { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: "x" },
      status: 415,
    },
    { what: "426 socket route", path: "/ws/channels/00000000-0000-4000-8000-000000000000", status: 426 },
    {
      what: "socket refusal",
      path: "/ws/channels/00000000-0000-4000-8000-000000000000",
      init: { headers: { upgrade: "websocket", authorization: "Bearer x" } },
      status: 401,
    },
  ];
}

describe("security headers", () => {
  it("every kind of Worker response carries nosniff, frame-ancestors/X-Frame-Options, referrer policy, HSTS", async () => {
    const missing: string[] = [];
    const list = await cases();
    for (const c of list) {
      const res = await exports.default.fetch(`${BASE}${c.path}`, c.init);
      await res.arrayBuffer();
      expect(res.status, c.what).toBe(c.status);
      for (const [h, re] of REQUIRED) {
        const v = res.headers.get(h);
        if (!v || !re.test(v)) missing.push(`${c.what}: ${h}=${v}`);
      }
      const errBody = res.headers.get("content-type")?.includes("json") ?? false;
      if (c.status >= 400) expect(errBody, `${c.what} answers JSON`).toBe(true);
    }
    report("headers", { responses: list.length, missing: missing.length });
    expect(missing).toEqual([]);
  });

  it("the /docs page has a CSP that allows only its own inline script and styles", async () => {
    const res = await exports.default.fetch(`${BASE}/docs`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*(https?:|\*)/);
  });

  it("the static UI's _headers file sets the same headers and a strict CSP for every path", () => {
    const lines = uiHeaders.split("\n").map((l) => l.trim());
    expect(lines).toContain("/*");
    const csp = lines.find((l) => l.startsWith("Content-Security-Policy:")) ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(lines).toContain("X-Content-Type-Options: nosniff");
    expect(lines).toContain("X-Frame-Options: DENY");
    expect(lines).toContain("Referrer-Policy: no-referrer");
    expect(lines.some((l) => /^Strict-Transport-Security: max-age=\d{8,}/.test(l))).toBe(true);
  });

  it("CORS: no response allows another origin (the API is same-origin), preflights included", async () => {
    const a = await createAgent();
    const origin = "https://evil.example";
    const reqs: [string, RequestInit][] = [
      ["/api/v1/health", { headers: { origin } }],
      ["/api/v1/agents/@me", { headers: { origin, authorization: `Bearer ${a.token}` } }],
      ["/api/v1/agents/@me", { headers: { origin } }],
      [
        "/api/v1/servers",
        {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
          },
        },
      ],
      ["/api/v1/openapi.json", { headers: { origin: "null" } }],
    ];
    for (const [path, init] of reqs) {
      const res = await exports.default.fetch(`${BASE}${path}`, init);
      await res.arrayBuffer();
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
      expect(res.headers.get("access-control-allow-credentials"), path).toBeNull();
    }
  });
});
