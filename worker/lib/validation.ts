// Turns zod issues into one readable sentence ("body.username: must match ...; query.limit: ..."), and
// the zod helpers the schemas share.
import { z } from "zod";
import { ApiError } from "../../common/errors";

export function summarizeIssues(issues: readonly z.core.$ZodIssue[], where: string): string {
  const parts = issues.slice(0, 5).map((i) => {
    const path = i.path.length ? `${where}.${i.path.map(String).join(".")}` : where;
    return `${path}: ${i.message}`;
  });
  if (issues.length > 5) parts.push(`(+${issues.length - 5} more)`);
  return parts.join("; ");
}

export function validationError(issues: readonly z.core.$ZodIssue[], target: string): ApiError {
  const where = target === "json" ? "body" : target === "param" ? "path" : target;
  return new ApiError(400, "validation_failed", summarizeIssues(issues, where), {
    issues: issues.slice(0, 20).map((i) => ({ path: [where, ...i.path.map(String)].join("."), message: i.message })),
  });
}

/**
 * `schema | null` for a named (component) schema. Not `schema.nullable()`: zod-to-openapi renders that as
 * a $ref and marks the *component* itself nullable, so every other use of it would turn nullable too.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);
