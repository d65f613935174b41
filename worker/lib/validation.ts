// Turns zod issues into one readable sentence ("body.username: must match ...; query.limit: ..."), and
// refuses unknown body fields (issue 15, item 11): every body schema is strict, and the app's validation
// hook also compares what the client sent with what the schema kept, so a schema that forgot `.strict()`
// still cannot silently drop a field. Also the zod helpers the schemas share.
import { z } from "zod";
import { ApiError } from "../../common/errors";

interface Issue {
  path: string;
  message: string;
}

/** One entry per offending field; an unrecognized_keys issue names each unknown key ("body.x: unknown field"). */
function flatten(issues: readonly z.core.$ZodIssue[], where: string): Issue[] {
  const unknown: Issue[] = [];
  const other: Issue[] = [];
  for (const i of issues) {
    const base = [where, ...i.path.map(String)].join(".");
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) unknown.push({ path: `${base}.${k}`, message: "unknown field" });
    } else {
      other.push({ path: base, message: i.message });
    }
  }
  // unknown fields first: they are the likeliest mistake (a field sent to the wrong route) and must be named
  return [...unknown, ...other];
}

export function summarizeIssues(issues: readonly z.core.$ZodIssue[], where: string): string {
  return summarize(flatten(issues, where));
}

function summarize(list: Issue[]): string {
  const parts = list.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  if (list.length > 5) parts.push(`(+${list.length - 5} more)`);
  return parts.join("; ");
}

export function validationError(issues: readonly z.core.$ZodIssue[], target: string): ApiError {
  const where = target === "json" ? "body" : target === "param" ? "path" : target;
  return fieldsError(flatten(issues, where));
}

function fieldsError(list: Issue[]): ApiError {
  return new ApiError(400, "validation_failed", summarize(list), { issues: list.slice(0, 20) });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Paths of keys the client sent that the parsed value does not have (the schema stripped them). Walks
 * objects and arrays of equal length; values the schema replaced (defaults, coercions) are not keys, so
 * they never count.
 */
export function strippedKeys(sent: unknown, kept: unknown, path: string[] = []): string[] {
  if (Array.isArray(sent) && Array.isArray(kept) && sent.length === kept.length) {
    return sent.flatMap((v, i) => strippedKeys(v, kept[i], [...path, String(i)]));
  }
  if (!isPlainObject(sent) || !isPlainObject(kept)) return [];
  const out: string[] = [];
  for (const k of Object.keys(sent)) {
    if (!Object.hasOwn(kept, k)) out.push([...path, k].join("."));
    else out.push(...strippedKeys(sent[k], kept[k], [...path, k]));
  }
  return out;
}

/** 400 naming every unknown field, or null when there is none. */
export function unknownFieldsError(sent: unknown, kept: unknown): ApiError | null {
  const keys = strippedKeys(sent, kept);
  if (keys.length === 0) return null;
  return fieldsError(keys.map((k) => ({ path: `body.${k}`, message: "unknown field" })));
}

/**
 * `schema | null` for a named (component) schema. Not `schema.nullable()`: zod-to-openapi renders that as
 * a $ref and marks the *component* itself nullable, so every other use of it would turn nullable too.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);
