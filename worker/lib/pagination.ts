// Cursor pagination for every list endpoint (issue 4: keyset, never OFFSET, bounded limit).
//
// A cursor is the keyset position of the last row of a page, as base64url-encoded JSON. Clients treat it
// as opaque; the server decodes it strictly: anything that is not canonical base64url, not JSON, not an
// object, or does not match the list's own key schema is a 400 (never a 500, never "start over").
//
// Usage in a service:
//   const key = decodeCursor(query.cursor, z.object({ t: isoMicros, id: z.uuid() }));  // null on page 1
//   const rows = await tx.select(...).where(key ? lt(...) : undefined).orderBy(...).limit(limit + 1);
//   return pageOf(rows, limit, (r) => ({ t: r.t, id: r.id }));  // { items, next_cursor }
// and in a route: `request: { query: PageQuery }` (cursor + limit) and `Page(ItemSchema)` as the body.

import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { fromBase64Url, toBase64Url, utf8 } from "../../common/encoding";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";

/** Longest cursor accepted; real ones are well under 200 characters. */
export const CURSOR_MAX_CHARS = 512;

/** A cursor's key fields (undefined ones are left out of the encoding). */
export type CursorKey = Record<string, string | number | boolean | null | undefined>;

export function encodeCursor(key: CursorKey): string {
  return toBase64Url(utf8(JSON.stringify(key)));
}

const malformed = () =>
  new ApiError(400, "bad_request", "malformed cursor: pass back the next_cursor of a previous page unchanged");

/** Decode and validate a cursor against the list's key schema; `undefined` (first page) gives null. */
export function decodeCursor<T extends CursorKey>(raw: string | undefined, schema: z.ZodType<T>): T | null {
  if (raw === undefined || raw === "") return null;
  if (raw.length > CURSOR_MAX_CHARS) throw malformed();
  const bytes = fromBase64Url(raw);
  if (!bytes) throw malformed();
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw malformed();
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw malformed();
  return parsed.data;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** `rows` were fetched with `limit + 1`: the extra row only says whether another page exists. */
export function pageOf<R, T = R>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => CursorKey,
  map: (row: R) => T = (r) => r as unknown as T,
): Page<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return { items: slice.map(map), next_cursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** Query parameters of every list: `cursor` (opaque) and `limit` (1..pageMax, default pageDefault). */
export const PageQuery = z.object({
  cursor: z
    .string()
    .max(CURSOR_MAX_CHARS)
    .optional()
    .meta({ description: "next_cursor of the previous page; omit for the first page" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIMITS.pageMax)
    .default(LIMITS.pageDefault)
    .meta({ description: `page size, 1–${LIMITS.pageMax} (default ${LIMITS.pageDefault})` }),
});

/** OpenAPI/zod shape of a page of `item`. */
export const PageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().meta({ description: "pass as ?cursor= for the next page; null at the end" }),
  });

// ---------------------------------------------------------------- timestamp keys
// Postgres timestamps have microseconds; a JS Date keeps milliseconds, so a cursor built from a Date would
// skip or repeat rows. Keyset on timestamps therefore carries the database's own text form.

/** A UTC timestamp with microseconds, as produced by `timestampKey`. */
export const isoMicros = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

/** Select expression: the column as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, full precision). */
export const timestampKey = (col: PgColumn | SQL): SQL<string> =>
  sql<string>`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
