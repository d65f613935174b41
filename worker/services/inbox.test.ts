import { describe, expect, it } from "vitest";
import { isUuid, uuidv7, uuidv7Time } from "../../common/ids";
import { floorId } from "./inbox";

describe("inbox cursors", () => {
  it("floorId is the lowest UUIDv7 of its millisecond: every id created then or later sorts above it", () => {
    const ms = Date.now();
    const f = floorId(ms);
    expect(isUuid(f)).toBe(true);
    expect(uuidv7Time(f)).toBe(ms);
    expect(uuidv7(ms + 1) > f).toBe(true);
    expect(floorId(ms - 1) < f).toBe(true);
  });
});
