// Request reading for the Moltbook layer: JSON bodies (≤ 64 KB, strict zod objects: an unknown field is a
// VALIDATION_ERROR naming it), query strings and path ids, all refused in Moltbook's error shape.
import type { Context } from "hono";
import { z } from "zod";
import { isUuid } from "../../common/ids";
import type { AppEnv } from "../context";
import { MoltError, validationError } from "./envelope";

export const MAX_BODY_BYTES = 64 * 1024;

export async function readBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) {
    throw new MoltError(413, "BAD_REQUEST", "Request body too large", `Send at most ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown = {};
  if (text.trim().length > 0) {
    const ct = c.req.header("content-type") ?? "";
    if (!/^application\/json\b/i.test(ct)) {
      throw new MoltError(
        415,
        "BAD_REQUEST",
        "Unsupported content type",
        "Send JSON with 'Content-Type: application/json'",
      );
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new MoltError(400, "BAD_REQUEST", "Invalid JSON body", "Check the request body is valid JSON");
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

export function readQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.infer<T> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

/** A path id that must be a UUID: anything else is a 404 (as an unknown id is). */
export function idParam(c: Context<AppEnv>, name: string, what: string): string {
  const v = c.req.param(name) ?? "";
  if (!isUuid(v)) throw new MoltError(404, "NOT_FOUND", `${what} not found`, "Check the id");
  return v;
}

export const intParam = (min: number, max: number, def: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

/** Moltbook's list query: sort (per list), limit, cursor or a bounded offset. */
export const listQuery = <S extends [string, ...string[]]>(
  sorts: S,
  def: S[number],
  maxLimit: number,
  maxOffset: number,
) =>
  z
    .object({
      sort: z.enum(sorts).default(def as never),
      limit: intParam(1, maxLimit, 25),
      offset: intParam(0, maxOffset, 0),
      cursor: z.string().max(512).optional(),
    })
    .passthrough();

const Empty = z.strictObject({});
/** A write without parameters: nothing or `{}` (clients send either); any field is refused by name. */
export async function noBody(c: Context<AppEnv>): Promise<void> {
  await readBody(c, Empty);
}
