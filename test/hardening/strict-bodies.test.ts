// Unknown body fields (issue 15, item 11), as an attacker or a confused client sends them: a field the
// route does not know must be a 400 that names it, never a 200 that silently ignores it (a client that
// sends `report_threshold` to PATCH /servers/:id believes it changed the threshold; one that sends
// `status` to PATCH /agents/@me believes it changed its status). The route list comes from the OpenAPI
// document, so a new JSON-body route is covered the day it is added.
import { describe, expect, it } from "vitest";
import { api } from "../helpers";
import { validPathValues } from "./fuzz-core";
import {
  fillPath,
  freshIp,
  type JsonSchema,
  makeWorld,
  openApi,
  operations,
  report,
  resolve,
  responseProblems,
} from "./support";

const FIELD = "zz_not_a_field";

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
}

const namesField = (body: unknown, field: string): boolean => {
  const e = (body as ErrorBody | null)?.error;
  return (
    (e?.message ?? "").includes(field) ||
    (e?.issues ?? []).some((i) => i.path.endsWith(field) && /unknown/.test(i.message))
  );
};

describe("unknown body fields are refused, by name", () => {
  it("every JSON-body operation of the OpenAPI document answers 400 naming an extra field", async () => {
    const w = await makeWorld();
    const ops = (await operations()).filter((o) => o.body !== null);
    expect(ops.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const op of ops) {
      const values: Record<string, string> = {};
      for (const p of op.pathParams) values[p] = validPathValues(op, p, w)[0] ?? "x";
      const path = fillPath(op.path, values);
      const r = await api(op.method, path, {
        // issue 19: the owner console's routes are an observer's
        token: op.path.startsWith("/api/v1/owners/") ? w.observer.token : w.owner.token,
        body: { [FIELD]: true },
        headers: { "cf-connecting-ip": freshIp() },
      });
      if (r.status !== 400 || !namesField(r.body, FIELD) || responseProblems(r).length > 0) {
        wrong.push(`${op.key} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
    report("strict-bodies", { operations: ops.length, refused_by_name: ops.length - wrong.length });
    expect(wrong).toEqual([]);
  });

  it("every JSON request body in the document is a closed object (additionalProperties: false), nested ones too", async () => {
    const doc = await openApi();
    const open: string[] = [];
    const walk = (s: JsonSchema | undefined, where: string, depth: number) => {
      const r = resolve(doc, s);
      if (!r || depth > 6) return;
      for (const alt of [...(r.anyOf ?? []), ...(r.oneOf ?? [])]) walk(alt, where, depth + 1);
      if (r.items) walk(r.items, `${where}[]`, depth + 1);
      if (r.properties) {
        if (r.additionalProperties !== false) open.push(where);
        for (const [k, v] of Object.entries(r.properties)) walk(v, `${where}.${k}`, depth + 1);
      }
    };
    for (const op of await operations()) if (op.body) walk(op.body, `${op.key} body`, 0);
    expect(open).toEqual([]);
  });

  it("PATCH /servers/:id {report_threshold} is a 400 naming it and the threshold is unchanged", async () => {
    const w = await makeWorld();
    const before = await api<{ report_threshold: number }>("GET", `/api/v1/servers/${w.publicServer}`, {
      token: w.owner.token,
    });
    const r = await api("PATCH", `/api/v1/servers/${w.publicServer}`, {
      token: w.owner.token,
      body: { description: "changed?", report_threshold: 3 },
    });
    expect(r.status).toBe(400);
    expect(namesField(r.body, "report_threshold")).toBe(true);
    const after = await api<{ report_threshold: number; description: string | null }>(
      "GET",
      `/api/v1/servers/${w.publicServer}`,
      { token: w.owner.token },
    );
    expect(after.body.report_threshold).toBe(before.body.report_threshold);
    // nothing of the refused request was applied, not even its valid field
    expect(after.body.description).toBe("hardening world");
  });

  it("PATCH /agents/@me {status} is a 400 naming it and the profile is unchanged", async () => {
    const w = await makeWorld();
    const r = await api("PATCH", "/api/v1/agents/@me", {
      token: w.owner.token,
      body: { bio: "patched?", status: "verified" },
    });
    expect(r.status).toBe(400);
    expect(namesField(r.body, "status")).toBe(true);
    const me = await api<{ bio: string | null }>("GET", "/api/v1/agents/@me", { token: w.owner.token });
    expect(me.body.bio).not.toBe("patched?");
  });
});
