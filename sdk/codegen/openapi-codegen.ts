// Generates the SDK's typed endpoint table from the Worker's OpenAPI document (which @hono/zod-openapi
// derives from the routes' zod schemas), and fingerprints the parts of that document the types depend on.
// Pure functions over JSON: runs in Node (the `gen` CLI) and inside workerd (the drift test), so a change
// to any route's paths or schemas fails `sdk/test/endpoints.test.ts` until the table is regenerated.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keys that document but do not change a type: ignored by the fingerprint so prose edits don't fail it. */
const PROSE = new Set(["description", "summary", "example", "examples", "tags", "title", "info"]);

/** Sorted-key JSON without prose: equal for two documents whose shapes are equal. */
export function canonicalize(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalize).join(",")}]`;
  if (!isObj(v)) return JSON.stringify(v);
  const keys = Object.keys(v)
    .filter((k) => !PROSE.has(k))
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(v[k] ?? null)}`).join(",")}}`;
}

/** SHA-256 (hex) of the canonical `paths` + `components.schemas`. WebCrypto: Node ≥ 20 and workerd. */
export async function fingerprint(doc: Json): Promise<string> {
  const d = isObj(doc) ? doc : {};
  const comps = isObj(d.components) ? d.components : {};
  const text = canonicalize({ paths: d.paths ?? null, schemas: comps.schemas ?? null });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** "METHOD /path" for every operation in the document, sorted. */
export function endpointKeys(doc: Json): string[] {
  const out: string[] = [];
  const paths = isObj(doc) && isObj(doc.paths) ? doc.paths : {};
  for (const [path, ops] of Object.entries(paths)) {
    if (!isObj(ops)) continue;
    for (const m of METHODS) if (isObj(ops[m])) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out.sort();
}

const ident = (s: string) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : JSON.stringify(s));

/** JSON Schema (OpenAPI 3.1 flavour, as zod-openapi emits it) → a TypeScript type expression. */
export function tsType(schema: Json | undefined, mode: "in" | "out"): string {
  if (!isObj(schema)) return "unknown";
  if (typeof schema.$ref === "string") return schema.$ref.replace("#/components/schemas/", "Schemas.");
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((s) => tsType(s, mode)).filter((t) => t !== "unknown");
    return parts.length ? parts.join(" & ") : "unknown";
  }
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = schema[k];
    if (Array.isArray(alts)) return alts.map((s) => tsType(s, mode)).join(" | ");
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((e) => JSON.stringify(e)).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : typeof schema.type === "string" ? [schema.type] : [];
  if (types.length === 0) return isObj(schema.properties) ? objectType(schema, mode) : "unknown";
  return types.map((t) => scalar(String(t), schema, mode)).join(" | ");
}

function scalar(t: string, schema: Obj, mode: "in" | "out"): string {
  switch (t) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `Array<${tsType(schema.items, mode)}>`;
    case "object":
      return objectType(schema, mode);
    default:
      return "unknown";
  }
}

function objectType(schema: Obj, mode: "in" | "out"): string {
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const fields = Object.entries(props).map(([k, v]) => {
    // a request field with a default may be omitted even when the schema lists it as required
    const hasDefault = isObj(v) && v.default !== undefined;
    const opt = !required.has(k) || (mode === "in" && hasDefault);
    return `${ident(k)}${opt ? "?" : ""}: ${tsType(v, mode)}`;
  });
  const extra = schema.additionalProperties;
  if (isObj(extra)) fields.push(`[key: string]: ${tsType(extra, mode)}`);
  if (fields.length === 0) return extra === false ? "Record<string, never>" : "Record<string, unknown>";
  return `{ ${fields.join("; ")} }`;
}

function paramsType(op: Obj, where: "path" | "query"): string | null {
  const list = Array.isArray(op.parameters) ? op.parameters.filter(isObj).filter((p) => p.in === where) : [];
  if (list.length === 0) return null;
  const fields = list.map((p) => {
    const t = tsType(p.schema, "in");
    // query values are sent as strings; numbers and booleans are accepted and stringified
    return `${ident(String(p.name))}${p.required === true ? "" : "?"}: ${t}`;
  });
  return `{ ${fields.join("; ")} }`;
}

function jsonSchemaOf(x: Json | undefined): Json | undefined {
  if (!isObj(x) || !isObj(x.content)) return undefined;
  const j = x.content["application/json"];
  return isObj(j) ? j.schema : undefined;
}

function responseType(op: Obj): string {
  const responses = isObj(op.responses) ? op.responses : {};
  const ok = Object.keys(responses).filter((s) => s.startsWith("2"));
  const types = ok.map((s) => {
    const schema = jsonSchemaOf(responses[s]);
    // no JSON body (204): the call resolves with undefined
    return schema === undefined ? "undefined" : tsType(schema, "out");
  });
  return [...new Set(types)].join(" | ") || "undefined";
}

/** The whole generated module (deterministic: sorted schemas and endpoints). */
export async function generate(doc: Json): Promise<string> {
  const d = isObj(doc) ? doc : {};
  const comps = isObj(d.components) && isObj(d.components.schemas) ? d.components.schemas : {};
  const lines: string[] = [
    "// GENERATED by `node sdk/codegen/gen.ts <openapi.json url or file>` from the Worker's OpenAPI document.",
    "// Do not edit by hand: sdk/test/endpoints.test.ts fails when the API drifts from this file.",
    "/* eslint-disable */",
    "",
    `export const OPENAPI_FINGERPRINT = ${JSON.stringify(await fingerprint(doc))};`,
    "",
    "export namespace Schemas {",
  ];
  for (const name of Object.keys(comps).sort()) {
    lines.push(`  export type ${name} = ${tsType(comps[name], "out")};`);
  }
  lines.push("}", "", "/** Every REST operation: path/query parameters, JSON body and the 2xx response. */");
  lines.push("export interface Endpoints {");
  const paths = isObj(d.paths) ? d.paths : {};
  for (const key of endpointKeys(doc)) {
    const [method = "", path = ""] = key.split(" ");
    const ops = paths[path];
    const op = isObj(ops) ? ops[method.toLowerCase()] : undefined;
    if (!isObj(op)) continue;
    const body = jsonSchemaOf(op.requestBody);
    const fields = [
      `path: ${paramsType(op, "path") ?? "undefined"}`,
      `query: ${paramsType(op, "query") ?? "undefined"}`,
      `body: ${body === undefined ? "undefined" : tsType(body, "in")}`,
      `response: ${responseType(op)}`,
    ];
    lines.push(`  ${JSON.stringify(key)}: { ${fields.join("; ")} };`);
  }
  lines.push("}", "", "export type EndpointKey = keyof Endpoints;", "");
  lines.push(
    `export const ENDPOINT_KEYS = ${JSON.stringify(endpointKeys(doc), null, 2)} as const satisfies readonly EndpointKey[];`,
  );
  return `${lines.join("\n")}\n`;
}
