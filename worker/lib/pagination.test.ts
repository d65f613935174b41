import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { toBase64Url, utf8 } from "../../common/encoding";
import { ApiError } from "../../common/errors";
import { decodeCursor, encodeCursor, isoMicros, pageOf } from "./pagination";

const Key = z.object({ t: isoMicros, id: z.uuid() }).strict();
const key = { t: "2026-11-22T05:00:00.123456Z", id: "0190f7a2-1c3d-7e4f-8a9b-0c1d2e3f4a5b" };

function expect400(f: () => unknown) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    return;
  }
  throw new Error("expected a 400");
}

describe("cursor pagination helper", () => {
  it("round-trips a key through an opaque base64url cursor", () => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, Key)).toEqual(key);
  });

  it("treats a missing cursor as the first page", () => {
    expect(decodeCursor(undefined, Key)).toBeNull();
    expect(decodeCursor("", Key)).toBeNull();
  });

  it("refuses malformed cursors with a 400: bad base64, not JSON, wrong shape, extra fields, too long", () => {
    expect400(() => decodeCursor("not base64!", Key));
    expect400(() => decodeCursor(toBase64Url(utf8("{nope")), Key));
    expect400(() => decodeCursor(toBase64Url(utf8("[1,2]")), Key));
    expect400(() => decodeCursor(encodeCursor({ t: "yesterday", id: key.id }), Key));
    expect400(() => decodeCursor(encodeCursor({ ...key, extra: 1 }), Key));
    expect400(() => decodeCursor("A".repeat(600), Key));
  });

  it("builds a page from limit + 1 rows, with a cursor only when more rows exist", () => {
    const rows = [1, 2, 3].map((n) => ({ n }));
    const full = pageOf(rows, 2, (r) => ({ n: r.n }));
    expect(full.items).toEqual([{ n: 1 }, { n: 2 }]);
    expect(decodeCursor(full.next_cursor ?? undefined, z.object({ n: z.number() }))).toEqual({ n: 2 });
    const last = pageOf(rows, 3, (r) => ({ n: r.n }));
    expect(last.items).toHaveLength(3);
    expect(last.next_cursor).toBeNull();
  });
});
