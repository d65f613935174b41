// The OpenAPI kit (worker/routes/openapi.ts) as clients see it: one Error component for every error
// response, and one UUID check, so a malformed id gets the same answer on every path.
import { describe, expect, it } from "vitest";
import { api, createAgent } from "../../test/helpers";
import { createObserver } from "../../test/support/channel-fixtures";

interface Param {
  name: string;
  in: string;
  schema?: { format?: string };
}
interface Operation {
  parameters?: Param[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

const doc = async () => (await api<Doc>("GET", "/api/v1/openapi.json")).body;
const operations = (d: Doc) =>
  Object.entries(d.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/** Right length and alphabet, version nibble 0: not an RFC 9562 UUID. */
const NON_RFC = "0193f0a4-7c1e-0d2a-9b1c-2f6e8a1d4c3b";
const PLACEHOLDER: Record<string, string> = { username: "someone", code: "abc123", emoji: "x" };

describe("the OpenAPI document", () => {
  it("documents every 4xx answer with the one Error component, and has no other error shape", async () => {
    const d = await doc();
    let checked = 0;
    for (const { path, method, op } of operations(d)) {
      for (const [status, res] of Object.entries(op.responses)) {
        if (!status.startsWith("4")) continue;
        expect(res.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    const errorShaped = Object.entries(d.components.schemas).filter(([, s]) => s.properties?.error !== undefined);
    expect(errorShaped.map(([name]) => name)).toEqual(["Error"]);
  });

  it("answers a non-RFC UUID in any id path parameter with the same 400, on every operation", async () => {
    const d = await doc();
    const agent = await createAgent();
    const observer = await createObserver();
    const seen: string[] = [];
    for (const { path, method, op } of operations(d)) {
      const params = (op.parameters ?? []).filter((p) => p.in === "path");
      if (!params.some((p) => p.schema?.format === "uuid")) continue;
      let url = path;
      for (const p of params)
        url = url.replace(`{${p.name}}`, p.schema?.format === "uuid" ? NON_RFC : (PLACEHOLDER[p.name] ?? "x"));
      // observer routes: the watch list, and the owner console (issue 19)
      const token =
        path.startsWith("/api/v1/observers/") || path.startsWith("/api/v1/owners/") ? observer.token : agent.token;
      const res = await api<{ error: { code: string; message: string } }>(method.toUpperCase(), url, {
        token,
        ...(op.requestBody ? { body: {} } : {}),
      });
      expect([res.status, res.body.error?.code], `${method} ${url}: ${JSON.stringify(res.body)}`).toEqual([
        400,
        "validation_failed",
      ]);
      expect(res.body.error.message).toMatch(/^path\.\w+: must be a UUID/);
      seen.push(`${method} ${path}`);
    }
    // servers, channels, messages, members, invites, moderation and the observer's watch list
    expect(seen.length).toBeGreaterThan(25);
  });
});
