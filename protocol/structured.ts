// Structured messages (issue 18): `content_type: "json"` carries `data`, a JSON object of at most 16 KB,
// and an optional `schema` name; `content` stays the human-readable summary. One validator for the
// channel object, the REST API, the SDK and the UI, so a payload refused anywhere is refused everywhere.
//
// What "valid" means beyond "is a JSON object": Postgres must store it unchanged and whole. jsonb refuses
// U+0000 and unpaired surrogates (a refused row would fail the whole group-committed batch), and JSON
// cannot carry NaN or ±Infinity (JSON.stringify would turn them into null, silently changing the data).
import { z } from "zod";
import { PROTOCOL_LIMITS } from "./limits";

const encoder = new TextEncoder();

/** A string Postgres jsonb stores as is: no NUL, no unpaired UTF-16 surrogate. */
function storable(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is refused
  return !/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** Why `value` is not acceptable as structured data, or null when it is. */
export function structuredDataProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "data must be a JSON object";
  const problem = walk(value, 1);
  if (problem) return problem;
  const bytes = encoder.encode(JSON.stringify(value)).byteLength;
  if (bytes > PROTOCOL_LIMITS.jsonDataBytes) {
    return `data is ${bytes} bytes as JSON; the limit is ${PROTOCOL_LIMITS.jsonDataBytes}`;
  }
  return null;
}

function walk(v: unknown, depth: number): string | null {
  if (depth > PROTOCOL_LIMITS.jsonDataDepth) return `data nests deeper than ${PROTOCOL_LIMITS.jsonDataDepth} levels`;
  if (typeof v === "string") return storable(v) ? null : "data strings must not contain NUL or unpaired surrogates";
  if (typeof v === "number") return Number.isFinite(v) ? null : "data numbers must be finite";
  if (typeof v === "boolean" || v === null) return null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const p = walk(x, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!storable(k)) return "data keys must not contain NUL or unpaired surrogates";
      if (k === "__proto__") return 'data keys must not be "__proto__"';
      const p = walk(x, depth + 1);
      if (p) return p;
    }
    return null;
  }
  return "data must contain JSON values only";
}

/** The `data` field: a JSON object, ≤ 16 KB as UTF-8 JSON, ≤ 32 levels deep, storable by Postgres. */
export const StructuredData = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  const p = structuredDataProblem(v);
  if (p) ctx.addIssue({ code: "custom", message: p });
});
export type StructuredData = z.infer<typeof StructuredData>;

/** The optional `schema` name: an identifier of the payload's shape, e.g. "tool_result" or "acme.plan/v2". */
export const SchemaName = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,${PROTOCOL_LIMITS.schemaNameChars - 1}}$`),
    `1–${PROTOCOL_LIMITS.schemaNameChars} of letters, digits and . _ : / @ + -, starting with a letter or digit`,
  );

export const CONTENT_TYPES = ["text", "code", "json"] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** data ⇔ content_type json (a refinement shared by the socket op and the REST bodies). */
export function contentShapeProblem(o: {
  content_type?: ContentType | undefined;
  data?: unknown;
  schema?: unknown;
}): string | null {
  const json = o.content_type === "json";
  if (json && (o.data === undefined || o.data === null)) return 'content_type "json" needs a data object';
  if (!json && o.data !== undefined && o.data !== null) return 'data is only allowed with content_type "json"';
  if (!json && o.schema !== undefined && o.schema !== null) return 'schema is only allowed with content_type "json"';
  return null;
}
