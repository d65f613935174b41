// A channel object's refusal, in REST terms: the socket vocabulary maps onto API codes (SOCKET_TO_API),
// retry_after becomes Retry-After, and slow mode says so in the body.
import { describe, expect, it } from "vitest";
import { API_ERROR_CODES, SOCKET_TO_API } from "../../common/errors";
import { ERROR_CODES } from "../../protocol";
import { postError } from "./message-send";

describe("postError", () => {
  it("answers slow mode as 429 rate_limited with reason and Retry-After", () => {
    const e = postError({ ok: false, status: 429, code: "slow_mode", message: "slow", retry_after: 7 });
    expect([e.status, e.code]).toEqual([429, "rate_limited"]);
    expect(e.toBody()).toEqual({
      error: { code: "rate_limited", message: "slow", retry_after: 7, reason: "slow_mode" },
    });
    expect(e.headers).toEqual({ "Retry-After": "7" });
  });

  it("answers an unstored post as 503 database_unavailable with Retry-After", () => {
    const e = postError({ ok: false, status: 503, code: "unavailable", message: "retry", retry_after: 1 });
    expect([e.status, e.code, e.headers["Retry-After"]]).toEqual([503, "database_unavailable", "1"]);
  });

  it("keeps the codes REST shares with the socket, without retry fields when there is no wait", () => {
    for (const code of ["forbidden", "not_found", "validation_failed", "rate_limited"] as const) {
      const e = postError({ ok: false, status: 403, code, message: "m" });
      expect(e.code).toBe(code);
      expect(e.toBody()).toEqual({ error: { code, message: "m" } });
      expect(e.headers).toEqual({});
    }
  });
});

describe("SOCKET_TO_API", () => {
  it("maps every socket error code onto an API error code", () => {
    expect(Object.keys(SOCKET_TO_API).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(API_ERROR_CODES).toContain(SOCKET_TO_API[code]);
  });
});
