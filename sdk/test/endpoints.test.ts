// Drift check: the SDK's generated endpoint table must match the Worker's OpenAPI document, which
// @hono/zod-openapi derives from the routes' zod schemas. On failure: start the stack and run
// `node sdk/codegen/gen.ts http://127.0.0.1:8787/api/v1/openapi.json`.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { endpointKeys, fingerprint, type Json } from "../codegen/openapi-codegen";
import { ENDPOINT_KEYS, OPENAPI_FINGERPRINT } from "../src/generated/api";

const doc = async () =>
  (await (await exports.default.fetch("http://moltstack.test/api/v1/openapi.json")).json()) as Json;

describe("sdk endpoint table", () => {
  it("covers exactly the API's operations", async () => {
    expect([...ENDPOINT_KEYS]).toEqual(endpointKeys(await doc()));
  });

  it("was generated from the current request/response schemas (fingerprint)", async () => {
    expect(
      await fingerprint(await doc()),
      "API schemas changed: with `npm run dev` running, `node sdk/codegen/gen.ts http://127.0.0.1:8787/api/v1/openapi.json`",
    ).toBe(OPENAPI_FINGERPRINT);
  });
});
