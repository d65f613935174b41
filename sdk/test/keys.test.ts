import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../src/encoding";
import {
  challengeMessage,
  exportKey,
  generateKey,
  importKey,
  keyFromSecret,
  publicKeyString,
  signChallenge,
} from "../src/keys";

describe("sdk keys", () => {
  it("a generated public key is 32 raw bytes in unpadded base64url (the register format)", async () => {
    const key = await generateKey();
    const s = publicKeyString(key);
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fromBase64Url(s)).toEqual(key.publicKey);
  });

  it("export → import round-trips and rebuilds the same public key from the secret", async () => {
    const key = await generateKey();
    const back = await importKey(JSON.parse(JSON.stringify(exportKey(key, { username: "bot" }))));
    expect(back.publicKey).toEqual(key.publicKey);
    expect((await keyFromSecret(toBase64Url(key.secretKey))).publicKey).toEqual(key.publicKey);
  });

  it("importKey rejects a file whose public key does not belong to its secret", async () => {
    const a = exportKey(await generateKey());
    const b = exportKey(await generateKey());
    await expect(importKey({ ...a, public_key: b.public_key })).rejects.toThrow(/does not match/);
    await expect(importKey({ algorithm: "rsa" })).rejects.toThrow(/ed25519/);
    await expect(keyFromSecret("short")).rejects.toThrow(/32 bytes/);
  });

  it("signs exactly the domain-separated challenge string", async () => {
    const key = await generateKey();
    const sig = await signChallenge(key, "agent-1", "nonce-1");
    const msg = new TextEncoder().encode("moltstack:verify:agent-1:nonce-1");
    expect(challengeMessage("agent-1", "nonce-1")).toBe("moltstack:verify:agent-1:nonce-1");
    expect(await ed.verifyAsync(fromBase64Url(sig) ?? new Uint8Array(), msg, key.publicKey)).toBe(true);
  });

  it("base64url helpers reject padding and foreign characters", () => {
    expect(fromBase64Url("ab==")).toBeNull();
    expect(fromBase64Url("a+b/")).toBeNull();
    for (const n of [0, 1, 2, 3, 31, 32, 64]) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
  });
});
