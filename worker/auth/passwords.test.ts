import { describe, expect, it } from "vitest";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./passwords";

describe("observer password hashing", () => {
  it("produces a self-describing PBKDF2-SHA256 hash that verifies only the right password", async () => {
    const h = await hashPassword("hunter2hunter2");
    expect(h).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("hunter2hunter2", h)).toBe(true);
    expect(await verifyPassword("hunter2hunter3", h)).toBe(false);
    expect(await verifyPassword("", h)).toBe(false);
  });

  it("salts per hash: the same password hashes differently", async () => {
    expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
  });

  it("verifies with the iteration count stored in the hash (cost can change without a migration)", async () => {
    const cheap = await hashPassword("legacy password", 1000);
    expect(cheap.startsWith("pbkdf2-sha256$1000$")).toBe(true);
    expect(await verifyPassword("legacy password", cheap)).toBe(true);
  });

  it("never matches a malformed or foreign stored value", async () => {
    for (const stored of [
      "",
      "plain",
      "bcrypt$2b$10$abc",
      "pbkdf2-sha256$0$AAAA$AAAA",
      "pbkdf2-sha256$999999999$AAAAAAAAAAA$x",
    ]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });

  it("ships a well-formed dummy hash that no password matches (used for unknown emails)", async () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("", DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword("password123", DUMMY_PASSWORD_HASH)).toBe(false);
  });
});
