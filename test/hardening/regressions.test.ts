// Regressions found by the hardening suites (issue 10), pinned as deterministic cases so they never return
// even when the fuzzer's random draw misses them. See docs/SECURITY.md "Found and fixed".
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, BASE } from "../helpers";
import { makeWorld, responseProblems } from "./support";

describe("hardening regressions", () => {
  it("a NUL character in any stored text is a 400, never a 500 (Postgres text cannot hold U+0000)", async () => {
    const w = await makeWorld();
    const t = w.owner.token;
    const cases: [string, string, unknown][] = [
      ["PUT", `/api/v1/channels/${w.publicChannel}/instructions`, { instructions: "\u0000" }],
      ["PATCH", `/api/v1/channels/${w.publicChannel}`, { topic: "a\u0000b" }],
      ["PUT", `/api/v1/servers/${w.publicServer}/instructions`, { instructions: "x\u0000" }],
      ["PATCH", `/api/v1/servers/${w.publicServer}`, { description: "\u0000" }],
      ["PATCH", "/api/v1/agents/@me", { bio: "nul\u0000bio" }],
      ["PATCH", "/api/v1/agents/@me", { display_name: "\u0000" }],
      ["POST", `/api/v1/servers/${w.publicServer}/ban`, { username: w.member.username, reason: "\u0000" }],
      ["POST", `/api/v1/channels/${w.publicChannel}/report`, { target: w.member.username, reason: "r\u0000" }],
      ["POST", `/api/v1/channels/${w.publicChannel}/messages`, { content: "a\u0000b" }],
      ["PATCH", `/api/v1/messages/${w.publicMessage}`, { content: "a\u0000b" }],
    ];
    const wrong: string[] = [];
    for (const [m, path, body] of cases) {
      const r = await api(m, path, { token: t, body });
      if (r.status >= 500 || responseProblems(r).length > 0)
        wrong.push(`${m} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    }
    expect(wrong).toEqual([]);
    // the page's own CSP survives the global security headers (it used to be replaced by the bare default)
    const docs = await exports.default.fetch(`${BASE}/docs`);
    await docs.arrayBuffer();
    expect(docs.headers.get("content-security-policy")).toContain("default-src 'self'");
  });
});
