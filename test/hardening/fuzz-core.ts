// Property-based fuzzing of every REST operation in the OpenAPI document (issue 10, "Bad input").
// For each operation, fast-check generates path params, query strings, bodies, content types and tokens —
// wrong types, huge strings, deep nesting, unicode edge cases (lone surrogates, RTL, zero-width, NUL),
// prototype-pollution keys, SQL and HTML metacharacters — and every response must be: not a 5xx, in the
// {error:{code,message}} shape when it is a 4xx, free of stack traces; and a refused request must leave the
// world's rows exactly as they were. Not a test file: fuzz-*.test.ts pick operation classes.
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { type ApiResponse, BASE } from "../helpers";
import {
  diffSnapshots,
  encodeAll,
  FULL,
  fillPath,
  type JsonSchema,
  MUTATING,
  makeWorld,
  type Operation,
  operations,
  report,
  responseProblems,
  type SnapshotDb,
  safe,
  snapshot,
  snapshotDb,
  type World,
  worldIds,
} from "./support";

/** Cases per operation: ≥ 20 fast, ≥ 200 full. */
export const CASES_PER_OP = FULL ? 200 : 20;
/** Concurrent lanes per class. */
const LANES = 3;
/** Cases run against one world before its budget is checked again. */
const CASES_PER_CHUNK = 20;

/** Operation classes, first match wins; a test fails if an operation matches none. */
export const CLASSES: [string, RegExp][] = [
  ["identity", /^\/api\/v1\/(agents\/(register|verify)$|auth\/|observers\/(register|login)$)/],
  ["observers", /^\/api\/v1\/observers\//],
  // issue 19: pairing and the owner console (observer routes)
  ["owners", /^\/api\/v1\/owners\//],
  ["config", /^\/api\/v1\/agents\/@me\/(config|webhook)/],
  ["agents", /^\/api\/v1\/agents\//],
  ["social", /^\/api\/v1\/(friends|blocks)/],
  ["moderation", /\/(report|ban|bans|moderation)(\/|$)/],
  ["messages", /^\/api\/v1\/(messages\/|channels\/\{id\}\/messages)/],
  ["channels", /^\/api\/v1\/(channels\/|servers\/\{id\}\/channels)/],
  ["servers", /^\/api\/v1\/(servers|invites\/|search$|stats$|health$)/],
];

export function classOf(op: Operation): string | null {
  return CLASSES.find(([, re]) => re.test(op.path))?.[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Nasty values

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "\u202eevil\u202c",
  "\u200b\u200c\u200d\ufeff",
  "ｇｅｎｅｒａｌ",
  "' OR '1'='1' --",
  "'; drop table agents; --",
  '" OR ""="',
  "1; select pg_sleep(0)",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "../../../../etc/passwd",
  "%00",
  "%ZZ",
  "%C0%AF",
  ["$", "{jndi:ldap://x}"].join(""),
  "{{7*7}}",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "0x7fffffff",
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
  "ffffffff-ffff-7fff-bfff-ffffffffffff",
  "@me",
  "😀🏳️‍🌈👨‍👩‍👧‍👦",
  "\r\nSet-Cookie: x=1",
  "\\",
  "%",
  "_",
  "*",
  "a".repeat(33),
  "a".repeat(257),
  "x".repeat(5000),
  "é".repeat(2100),
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom("A".repeat(70_000), "💥".repeat(9000), "\u0000".repeat(300)) },
);

const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, -0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** A JSON object whose own keys include __proto__ / constructor / prototype (JSON.parse keeps them). */
const protoObject: fc.Arbitrary<unknown> = fc.constantFrom(
  JSON.parse('{"__proto__":{"admin":true,"role":"owner","status":"verified"}}'),
  JSON.parse('{"constructor":{"prototype":{"admin":true}}}'),
  JSON.parse('{"prototype":{"is_public":true},"__proto__":null}'),
);

export const nastyJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    protoObject,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom("__proto__", "constructor")), tie("v"), { maxKeys: 4 }),
  ),
})).v;

/** Raw request bodies that are not what JSON.stringify would produce. */
const RAW_BODIES: string[] = [
  "{",
  '{"content": "trunc',
  "[".repeat(20_000) + "]".repeat(20_000),
  `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`,
  '{"__proto__": {"admin": true}, "__proto__": {"x": 1}}',
  '{"content":"a","content":"b"}',
  "null",
  "0",
  '"string"',
  "[]",
  "\ufeff{}",
  '{"content": "\\ud800"}',
  '{"content": "\\u0000"}',
  `{"x":"${"y".repeat(70_000)}"}`,
];

/** Bytes that are not UTF-8. */
const INVALID_UTF8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]);

// ---------------------------------------------------------------------------------------------------------
// Schema-shaped values with mutations

function types(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.properties) return ["object"];
  return ["string"];
}

function fromSchema(s: JsonSchema | undefined, hints: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  if (!s) return nastyJson;
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const arbs: fc.Arbitrary<unknown>[] = types(s).map((t) => {
    switch (t) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "integer":
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1_000_000 });
      case "number":
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1_000_000, noNaN: true });
      case "array":
        return depth > 3 ? fc.constant([]) : fc.array(fromSchema(s.items, hints, depth + 1), { maxLength: 4 });
      case "object": {
        if (depth > 3 || !s.properties) return fc.constant({});
        const rec: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(s.properties)) rec[k] = fromSchema(v, hints, depth + 1);
        return fc.record(rec, { requiredKeys: (s.required ?? []).filter((k) => k in rec) });
      }
      default:
        if (s.format === "uuid") return fc.oneof(fc.uuid(), hints);
        return fc.oneof(hints, fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 64, 64) }));
    }
  });
  return arbs.length === 1 && arbs[0] ? arbs[0] : fc.oneof(...arbs);
}

/** A valid-looking body with one field replaced by a nasty value, or extra keys, or junk. */
function bodyArb(schema: JsonSchema | null, hints: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const base = fromSchema(schema ?? { type: "object" }, hints);
  const keys = Object.keys(schema?.properties ?? {});
  const mutated = fc.tuple(base, fc.nat(), nastyJson).map(([o, i, v]) => {
    if (o === null || typeof o !== "object" || Array.isArray(o) || keys.length === 0) return v;
    const k = keys[i % keys.length] ?? "x";
    return { ...(o as Record<string, unknown>), [k]: v };
  });
  const polluted = fc
    .tuple(base, protoObject)
    .map(([o, p]) =>
      o !== null && typeof o === "object" && !Array.isArray(o)
        ? JSON.parse(
            `{${JSON.stringify(o).slice(1, -1)}${Object.keys(o).length ? "," : ""}${JSON.stringify(p).slice(1)}`,
          )
        : p,
    );
  return fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: polluted },
    { weight: 2, arbitrary: nastyJson },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Cases

type ActorKind = "owner" | "member" | "none" | "observer" | "garbage";

export interface FuzzCase {
  actor: ActorKind;
  path: Record<string, string>;
  rawPath: boolean;
  query: [string, string][];
  body:
    | { kind: "none" }
    | { kind: "json"; value: unknown }
    | { kind: "raw"; text: string }
    | { kind: "bytes" }
    | { kind: "text"; text: string };
  contentType: string;
}

/** The world's valid values for a path parameter, by name and route. */
export function validPathValues(op: Operation, name: string, w: World): string[] {
  switch (name) {
    case "username":
      return [w.friend.username, w.member.username, w.blocked.username, w.banned.username, w.owner.username];
    case "agentId":
      return [w.member.id, w.friend.id, w.owner.id];
    case "serverId":
      return [w.publicServer, w.privateServer];
    case "code":
      return [w.invite];
    case "emoji":
      return [w.emoji];
    case "id":
      if (op.path.startsWith("/api/v1/servers/")) return [w.privateServer, w.publicServer];
      if (op.path.startsWith("/api/v1/channels/"))
        return [w.privateChannel, w.publicChannel, w.dmChannel, w.privateThread, w.publicForum, w.publicPost];
      if (op.path.startsWith("/api/v1/messages/"))
        return [w.privateMessage, w.publicMessage, w.dmMessage, w.publicPostMessage];
      // issue 19: another agent's id where the owner console expects one of the observer's bots
      if (op.path.startsWith("/api/v1/owners/")) return [w.owner.id, w.member.id];
      return [w.privateServer];
    default:
      return ["x"];
  }
}

function hintsFor(w: World): fc.Arbitrary<string> {
  return fc.constantFrom(
    w.friend.username,
    w.member.username,
    w.blocked.username,
    w.owner.username,
    w.privateMessage,
    w.dmMessage,
    w.invite,
    "https://example.com/hook",
    "general",
  );
}

export function caseArb(op: Operation, w: World): fc.Arbitrary<FuzzCase> {
  const hints = hintsFor(w);
  const pathRec: Record<string, fc.Arbitrary<string>> = {};
  for (const name of op.pathParams) {
    pathRec[name] = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...validPathValues(op, name, w)) },
      { weight: 3, arbitrary: nastyString },
      { weight: 1, arbitrary: fc.uuid() },
    );
  }
  const queryParams = op.params.filter((p) => p.in === "query");
  const queryArb: fc.Arbitrary<[string, string][]> = fc
    .tuple(
      fc.array(
        fc.tuple(
          queryParams.length > 0 ? fc.constantFrom(...queryParams.map((p) => p.name)) : fc.constant("limit"),
          fc.oneof(nastyString, fc.integer().map(String), fc.constantFrom("new", "hot", "popular", "sent", "received")),
        ),
        { maxLength: 4 },
      ),
      fc.array(fc.tuple(fc.constantFrom("__proto__", "constructor", "q[]", "limit[0]", "x"), nastyString), {
        maxLength: 2,
      }),
    )
    .map(([a, b]) => [...a, ...b]);
  const bodyCase: fc.Arbitrary<FuzzCase["body"]> = fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: "none" as const }) },
    { weight: 6, arbitrary: bodyArb(op.body, hints).map((value) => ({ kind: "json" as const, value })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text) => ({ kind: "raw" as const, text })) },
    { weight: 1, arbitrary: fc.constant({ kind: "bytes" as const }) },
  );
  return fc.record({
    actor: fc.constantFrom<ActorKind>("owner", "owner", "owner", "member", "none", "observer", "garbage"),
    path: fc.record(pathRec),
    rawPath: fc.boolean(),
    query: queryArb,
    body: bodyCase,
    contentType: fc.constantFrom(
      "application/json",
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-16",
    ),
  });
}

const GARBAGE_TOKENS = [
  "x",
  "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
  "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
  "\u0000",
  "a".repeat(5000),
];

function rawPathValue(v: string): string {
  // a raw (not percent-encoded) value, but never one that changes the route's shape
  return [...v].map((ch) => (/[A-Za-z0-9\-_.~%@]/.test(ch) ? ch : encodeAll(ch))).join("");
}

export async function send(op: Operation, c: FuzzCase, w: World, ip: string): Promise<ApiResponse<unknown>> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.path)) values[k] = c.rawPath ? rawPathValue(v) : v;
  let url = fillPath(op.path, values, c.rawPath);
  if (c.query.length > 0) url += `?${c.query.map(([k, v]) => `${encodeAll(k)}=${encodeAll(v)}`).join("&")}`;
  const headers: Record<string, string> = { "cf-connecting-ip": ip };
  const token =
    c.actor === "owner"
      ? w.owner.token
      : c.actor === "member"
        ? w.member.token
        : c.actor === "observer"
          ? w.observer.token
          : c.actor === "garbage"
            ? (GARBAGE_TOKENS[url.length % GARBAGE_TOKENS.length] ?? "x")
            : null;
  // header values must be ByteStrings without control characters
  if (token !== null)
    headers.authorization = `Bearer ${[...token].map((ch) => (ch > " " && ch < "\u007f" ? ch : "?")).join("")}`;
  let body: string | Uint8Array | undefined;
  const hasBody = op.method !== "GET" && op.method !== "HEAD";
  if (hasBody && c.body.kind !== "none") {
    headers["content-type"] = c.contentType;
    if (c.body.kind === "json") body = JSON.stringify(c.body.value) ?? "null";
    else if (c.body.kind === "raw" || c.body.kind === "text") body = c.body.text;
    else body = INVALID_UTF8;
  }
  const res = await exports.default.fetch(`${BASE}${url}`, { method: op.method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: responseProblems() reports it if it is an error
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

// ---------------------------------------------------------------------------------------------------------
// The runner

export interface ClassFigures {
  operations: number;
  cases: number;
  status5xx: number;
  /** 2xx answers to a body with a field the operation's schema does not declare (must stay 0) */
  unknownAccepted: number;
  byStatus: Record<string, number>;
  problems: string[];
}

/** Authenticated calls a world's agents may make before the next world (the API allows 100/min each). */
const WORLD_BUDGET = 80;

interface WorldState {
  w: World;
  ids: string[];
  before: Record<string, string>;
  used: Record<ActorKind, number>;
}

async function newWorldState(): Promise<WorldState> {
  const w = await makeWorld();
  const ids = worldIds(w);
  // the world cost O 13 calls (issue 18 added a thread, a forum and a post)
  return { w, ids, before: await snapshot(ids), used: { owner: 13, member: 1, observer: 0, none: 0, garbage: 0 } };
}

/** Fuzz every operation of the given classes; returns figures (problems are failures). */
export async function fuzzClasses(classes: string[]): Promise<Record<string, ClassFigures>> {
  const ops = (await operations()).filter((o) => classes.includes(classOf(o) ?? ""));
  const figures: Record<string, ClassFigures> = {};
  for (const cls of classes)
    figures[cls] = { operations: 0, cases: 0, status5xx: 0, unknownAccepted: 0, byStatus: {}, problems: [] };
  // operations run in LANES concurrent lanes, each with its own worlds (the work is I/O-bound)
  const lanes: Operation[][] = Array.from({ length: LANES }, () => []);
  for (const [i, op] of ops.entries()) lanes[i % LANES]?.push(op);
  await Promise.all(
    lanes.map(async (laneOps) => {
      let state: WorldState | null = null;
      for (const op of laneOps) {
        const f = figures[classOf(op) ?? ""];
        if (!f) continue;
        f.operations += 1;
        for (let done = 0; done < CASES_PER_OP; done += CASES_PER_CHUNK) {
          const n = Math.min(CASES_PER_CHUNK, CASES_PER_OP - done);
          if (!state || Math.max(state.used.owner, state.used.member, state.used.observer) + n > WORLD_BUDGET) {
            state = await newWorldState();
          }
          try {
            await fuzzOperation(op, n, f, state);
          } catch (e) {
            // the property recorded its problem before throwing; anything else (a broken world) is one too
            const msg = safe(e instanceof Error ? e.message : String(e));
            if (!f.problems.some((p) => msg.includes(p.slice(0, 80)))) f.problems.push(`${op.key}: ${msg}`);
            state = null;
            break;
          }
        }
      }
    }),
  );
  return figures;
}

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  const r = crypto.getRandomValues(new Uint8Array(2));
  return `10.${(ipCounter >> 8) & 255}.${r[0]}.${r[1]}`;
}

async function fuzzOperation(op: Operation, numRuns: number, f: ClassFigures, state: WorldState): Promise<void> {
  const { w, ids } = state;
  const db = snapshotDb();
  try {
    await fuzzCases(op, numRuns, f, state, w, ids, db);
  } finally {
    await db.close();
  }
}

async function fuzzCases(
  op: Operation,
  numRuns: number,
  f: ClassFigures,
  state: WorldState,
  w: World,
  ids: string[],
  db: SnapshotDb,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(caseArb(op, w), async (c) => {
      state.used[c.actor] += 1;
      const res = await send(op, c, w, nextIp());
      f.cases += 1;
      const bucket = `${Math.floor(res.status / 100)}xx`;
      f.byStatus[bucket] = (f.byStatus[bucket] ?? 0) + 1;
      const problems = responseProblems(res);
      if (res.status >= 500) f.status5xx += 1;
      // issue 15 (item 11): a JSON body with a field the operation does not know is never accepted
      const unknown = unknownTopLevelKeys(op, c);
      if (unknown.length > 0 && res.status < 400) {
        f.unknownAccepted += 1;
        problems.push(`accepted unknown body field(s) ${unknown.join(", ")} with ${res.status}`);
      }
      // reads cannot store anything: the fast profile snapshots around mutations only, the full one always
      if (FULL || MUTATING.has(op.method)) {
        const after = await snapshot(ids, db);
        if (res.status >= 400) {
          const changed = diffSnapshots(state.before, after);
          if (changed.length > 0) problems.push(`refused (${res.status}) but changed rows in ${changed.join(", ")}`);
        }
        state.before = after;
      }
      if (problems.length > 0) {
        const msg = safe(
          `${op.key}: ${problems.join("; ")} → ${res.status} ${safe(JSON.stringify(res.body), 300)} — case ${safe(JSON.stringify(c), 600)}`,
          1200,
        );
        f.problems.push(msg);
        throw new Error(msg);
      }
    }),
    { numRuns, endOnFailure: true },
  );
}

export function printFigures(suite: string, figures: Record<string, ClassFigures>): void {
  for (const [cls, f] of Object.entries(figures)) {
    report(suite, {
      class: cls,
      operations: f.operations,
      cases: f.cases,
      status5xx: f.status5xx,
      unknownAccepted: f.unknownAccepted,
      ...f.byStatus,
    });
  }
}

/**
 * Keys of a JSON object body that the operation's body schema does not declare (only for operations with
 * a JSON body schema and a case that sends a JSON object with a JSON content type).
 */
export function unknownTopLevelKeys(op: Operation, c: FuzzCase): string[] {
  if (!op.body?.properties || c.body.kind !== "json" || !/^application\/json/i.test(c.contentType)) return [];
  const v = c.body.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return [];
  const known = new Set(Object.keys(op.body.properties));
  return Object.keys(v).filter((k) => !known.has(k));
}
