// Fuzzing, part B: moderation, messages, channels, servers — and the check that every operation in the
// OpenAPI document belongs to a fuzzed class (see fuzz-core.ts).
import { describe, expect, it } from "vitest";
import { CLASSES, classOf, fuzzClasses, printFigures } from "./fuzz-core";
import { FULL, operations } from "./support";

const TIMEOUT = FULL ? 3_600_000 : 300_000;

describe("fuzzing from the OpenAPI document (B)", () => {
  it("every operation in the document belongs to a fuzzed class", async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.filter((o) => classOf(o) === null).map((o) => o.key)).toEqual([]);
    expect(CLASSES.length).toBe(10); // issue 19 added "owners"
  });
  for (const cls of ["moderation", "messages", "channels", "servers"]) {
    it(`${cls}: no 5xx, one error shape, no stack traces, refused requests change nothing`, {
      timeout: TIMEOUT,
    }, async () => {
      const figures = await fuzzClasses([cls]);
      printFigures("fuzz", figures);
      const f = figures[cls];
      expect(f?.operations).toBeGreaterThan(0);
      expect(f?.problems).toEqual([]);
    });
  }
});
