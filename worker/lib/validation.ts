// Turns zod issues into one readable sentence ("body.username: must match ...; query.limit: ...").
import type { z } from "zod";
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
