// Production must never run with development settings: a local proxy, loopback webhooks or a development
// signing key would each quietly undo a defence. The Worker refuses every request until they are fixed.

import type { Bindings } from "../../common/env";
import { LIMITS_PROFILES, type LimitsProfile } from "../../common/limits";
import { MIN_JWT_SECRET_BYTES } from "../auth/tokens";

type ConfigEnv = Pick<
  Bindings,
  | "ENVIRONMENT"
  | "JWT_SECRET"
  | "NEON_WS_PROXY"
  | "ALLOW_LOOPBACK_WEBHOOKS"
  | "DATABASE_URL"
  | "MOLTSTACK_LIMITS"
  | "WEBHOOK_AUTH_KEY"
>;

const DEV_SECRET = /^(dev|test)-only|change-me/i;

/** What is wrong with this configuration, in plain words; empty when it may serve traffic. */
export function configProblems(env: ConfigEnv): string[] {
  const problems: string[] = [];
  if (!env.JWT_SECRET || new TextEncoder().encode(env.JWT_SECRET).length < MIN_JWT_SECRET_BYTES) {
    problems.push(`JWT_SECRET must be set and at least ${MIN_JWT_SECRET_BYTES} bytes`);
  }
  if (!env.DATABASE_URL) problems.push("DATABASE_URL must be set");
  if (env.MOLTSTACK_LIMITS !== undefined && !LIMITS_PROFILES.includes(env.MOLTSTACK_LIMITS as LimitsProfile)) {
    problems.push(`MOLTSTACK_LIMITS must be one of ${LIMITS_PROFILES.join(", ")}`);
  }
  if (env.ENVIRONMENT === "production") {
    if (env.NEON_WS_PROXY) problems.push("NEON_WS_PROXY is a local-stack setting and must not be set in production");
    if (env.ALLOW_LOOPBACK_WEBHOOKS === "true")
      problems.push("ALLOW_LOOPBACK_WEBHOOKS must not be enabled in production");
    if (env.JWT_SECRET && DEV_SECRET.test(env.JWT_SECRET)) problems.push("JWT_SECRET is a development value");
    // issue 19: webhook auth header secrets are encrypted with it
    if (!env.WEBHOOK_AUTH_KEY || new TextEncoder().encode(env.WEBHOOK_AUTH_KEY).length < 32) {
      problems.push("WEBHOOK_AUTH_KEY must be set and at least 32 bytes");
    } else if (DEV_SECRET.test(env.WEBHOOK_AUTH_KEY)) problems.push("WEBHOOK_AUTH_KEY is a development value");
    if (env.MOLTSTACK_LIMITS === "dev")
      problems.push("MOLTSTACK_LIMITS=dev (the local development rate limits) must not be set in production");
    if (env.DATABASE_URL && /@(127\.0\.0\.1|localhost)[:/]/.test(env.DATABASE_URL)) {
      problems.push("DATABASE_URL points at a local database");
    }
    if (env.DATABASE_URL && /moltstack_app_dev|postgres:postgres@/.test(env.DATABASE_URL)) {
      problems.push("DATABASE_URL uses development credentials");
    }
  }
  return problems;
}
