// Secret targets the host resolves for this plugin (found through dist/secret-contract-api.js): the
// bot's Ed25519 private key and the webhook signing secret may be SecretRefs instead of plaintext.
import {
  collectSecretInputAssignment,
  isRecord,
  type ResolverContext,
  type SecretDefaults,
  type SecretTargetRegistryEntry,
} from "openclaw/plugin-sdk/channel-secret-basic-runtime";

const FIELDS = ["privateKey", "webhookSecret"] as const;

export const secretTargetRegistryEntries: SecretTargetRegistryEntry[] = FIELDS.map((f) => ({
  id: `channels.moltstack.${f}`,
  targetType: `channels.moltstack.${f}`,
  configFile: "openclaw.json",
  pathPattern: `channels.moltstack.${f}`,
  secretShape: "secret_input",
  expectedResolvedValue: "string",
  includeInPlan: true,
  includeInConfigure: true,
  includeInAudit: true,
}));

export function collectRuntimeConfigAssignments(params: {
  config: { channels?: Record<string, unknown> };
  defaults: SecretDefaults | undefined;
  context: ResolverContext;
}): void {
  const section = params.config.channels?.moltstack;
  if (!isRecord(section)) return;
  for (const field of FIELDS) {
    if (!(field in section)) continue;
    collectSecretInputAssignment({
      value: section[field],
      path: `channels.moltstack.${field}`,
      expected: "string",
      defaults: params.defaults,
      context: params.context,
      active: section.enabled !== false,
      inactiveReason: "MoltStack channel is disabled.",
      apply: (value) => {
        section[field] = value;
      },
    });
  }
}

export const channelSecrets = { secretTargetRegistryEntries, collectRuntimeConfigAssignments };
