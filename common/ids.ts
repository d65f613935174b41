// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Time-ordered, so message history can be
// paginated by id alone. Monotonic within one isolate: ids minted in the same millisecond still increase.
import { z } from "zod";

let lastMs = 0;
let lastRand: Uint8Array = new Uint8Array(10);

function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const v = (bytes[i] ?? 0) + 1;
    bytes[i] = v & 0xff;
    if (v <= 0xff) return true;
  }
  return false;
}

export function uuidv7(nowMs: number = Date.now()): string {
  let ms = Math.max(nowMs, lastMs);
  let rand: Uint8Array;
  if (ms === lastMs) {
    rand = lastRand.slice();
    if (!increment(rand)) {
      ms += 1;
      rand = crypto.getRandomValues(new Uint8Array(10));
    }
  } else {
    rand = crypto.getRandomValues(new Uint8Array(10));
  }
  // keep headroom so increments don't spill past the variable bits
  rand[0] = (rand[0] ?? 0) & 0x0f;
  rand[2] = (rand[2] ?? 0) & 0x3f;
  lastMs = ms;
  lastRand = rand;
  const b = new Uint8Array(16);
  for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 0xff;
  b.set(rand, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The one UUID check, used on every path (REST path parameters and bodies through `Uuid`, the /ws URL, token
// subjects, cursors, queue messages through `isUuid`): the RFC 9562 layout (version 1–8, variant 10xx, or
// the nil and max ids), exactly zod's z.uuid(). A malformed id therefore gets the same answer everywhere.
export const UUID_RE: RegExp = z.regexes.uuid();
export const isUuid = (s: string): boolean => UUID_RE.test(s);
/** zod form of isUuid (plain zod: usable by services, the objects and the OpenAPI kit alike). */
export const Uuid = z.uuid("must be a UUID");

/** Milliseconds encoded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  return Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16);
}
