// Fuzzing, part A: identity, observers, owners (issue 19), config, agents, social (see fuzz-core.ts).
import { describe, expect, it } from "vitest";
import { fuzzClasses, printFigures } from "./fuzz-core";
import { FULL } from "./support";

const TIMEOUT = FULL ? 3_600_000 : 300_000;

describe("fuzzing from the OpenAPI document (A)", () => {
  for (const cls of ["identity", "observers", "owners", "config", "agents", "social"]) {
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
