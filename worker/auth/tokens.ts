// Access tokens: HS256 JWTs (jose), 15 minutes, claims sub/scope/jti/iat/exp/iss/aud (issue 3), plus `fam`,
// the token family (login) that minted it (issue 15): revoking a family kills its unexpired access tokens
// at once (worker/auth/revocation.ts). Verification pins the algorithm, so `alg: none` and
// algorithm-confusion tokens are refused.
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { utf8 } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { isUuid } from "../../common/ids";

export const ACCESS_TOKEN_TTL_SECONDS = 900; // spec 001 "Token Management": 15-minute expiry
export const JWT_AUDIENCE = "moltstack-api";
export const MIN_JWT_SECRET_BYTES = 32;

export type TokenScope = "agent" | "observer";

export interface AccessClaims {
  sub: string;
  scope: TokenScope;
  jti: string;
  iat: number;
  exp: number;
  /** token family id; absent only on tokens minted outside a login (tests, tokens from before issue 15) */
  fam?: string;
}

type TokenEnv = Pick<Bindings, "JWT_SECRET" | "JWT_ISSUER">;

let cachedKey: { secret: string; key: Promise<CryptoKey> } | undefined;

/**
 * The HMAC key, imported once per isolate and secret: handing jose the raw bytes made it import the key
 * again on every sign and verify (one `importKey` per request and per socket upgrade; issue 25's connect
 * profile named it). Non-extractable, usable for HS256 only.
 */
function signingKey(env: TokenEnv): Promise<CryptoKey> {
  if (cachedKey?.secret === env.JWT_SECRET) return cachedKey.key;
  const raw = utf8(env.JWT_SECRET ?? "");
  if (raw.length < MIN_JWT_SECRET_BYTES) {
    throw new Error(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
  }
  const key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  cachedKey = { secret: env.JWT_SECRET, key };
  return key;
}

export async function signAccessToken(
  env: TokenEnv,
  subject: { sub: string; scope: TokenScope },
  opts: { jti?: string; nowSeconds?: number; ttlSeconds?: number; family?: string } = {},
): Promise<{ token: string; claims: AccessClaims }> {
  const iat = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const exp = iat + (opts.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS);
  const jti = opts.jti ?? crypto.randomUUID();
  const token = await new SignJWT(opts.family ? { scope: subject.scope, fam: opts.family } : { scope: subject.scope })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject.sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setIssuer(env.JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .sign(await signingKey(env));
  const claims: AccessClaims = { sub: subject.sub, scope: subject.scope, jti, iat, exp };
  if (opts.family) claims.fam = opts.family;
  return { token, claims };
}

/** Verify an access token; every failure is a 401 with a message that says which check failed. */
export async function verifyAccessToken(env: TokenEnv, token: string, nowSeconds?: number): Promise<AccessClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await signingKey(env), {
      algorithms: ["HS256"],
      issuer: env.JWT_ISSUER,
      audience: JWT_AUDIENCE,
      requiredClaims: ["sub", "jti", "iat", "exp"],
      ...(nowSeconds !== undefined ? { currentDate: new Date(nowSeconds * 1000) } : {}),
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new ApiError(401, "unauthorized", "access token expired");
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      throw new ApiError(401, "unauthorized", `access token rejected: ${e.claim} claim invalid`);
    }
    throw new ApiError(401, "unauthorized", "access token invalid");
  }
  const { sub, scope, jti, iat, exp, fam } = payload;
  if (
    typeof sub !== "string" ||
    !isUuid(sub) ||
    (scope !== "agent" && scope !== "observer") ||
    typeof jti !== "string" ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    (fam !== undefined && (typeof fam !== "string" || !isUuid(fam)))
  ) {
    throw new ApiError(401, "unauthorized", "access token invalid");
  }
  const claims: AccessClaims = { sub, scope, jti, iat, exp };
  if (typeof fam === "string") claims.fam = fam;
  return claims;
}

/** Extract a bearer token from `Authorization: Bearer <jwt>`. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return m?.[1] ?? null;
}
