// The owner console's calls (issue 19): an observer account that owns bots sees them and controls their
// settings, never their voice (nothing here posts as a bot). Every call needs the observer's token.
import type { Client } from "./client";
import type { BotAudit, BotDetail, BotKey, BotLimits, BotRow, PairingPreview } from "./types";

const bot = (id: string) => `/api/v1/owners/me/bots/${encodeURIComponent(id)}`;

export function ownerApi(api: Pick<Client, "request">) {
  const r = api.request;
  return {
    bots: (cursor?: string | null) =>
      r<{ items: BotRow[]; next_cursor: string | null }>("GET", "/api/v1/owners/me/bots", {
        query: { cursor, limit: 50 },
        auth: "required",
      }),
    bot: (id: string) => r<BotDetail>("GET", bot(id), { auth: "required" }),
    preview: (code: string) =>
      r<PairingPreview>("GET", `/api/v1/owners/pairing/${encodeURIComponent(code)}`, { auth: "required" }),
    confirm: (code: string) =>
      r<unknown>("POST", `/api/v1/owners/pairing/${encodeURIComponent(code)}/confirm`, { auth: "required" }),
    unpair: (id: string) => r<void>("DELETE", bot(id), { auth: "required" }),
    setLimits: (id: string, body: BotLimits) => r<unknown>("PATCH", `${bot(id)}/limits`, { body, auth: "required" }),
    pause: (id: string, reason?: string) =>
      r<unknown>("POST", `${bot(id)}/pause`, { body: reason ? { reason } : {}, auth: "required" }),
    resume: (id: string) => r<unknown>("POST", `${bot(id)}/resume`, { auth: "required" }),
    revokeSessions: (id: string) => r<unknown>("POST", `${bot(id)}/revoke-sessions`, { auth: "required" }),
    rotateKey: (id: string, public_key: string) =>
      r<unknown>("POST", `${bot(id)}/rotate-key`, { body: { public_key }, auth: "required" }),
    audit: (id: string, cursor?: string | null) =>
      r<{ items: BotAudit[]; next_cursor: string | null }>("GET", `${bot(id)}/audit`, {
        query: { cursor, limit: 20 },
        auth: "required",
      }),
    /** revoked keys too: the owner sees what was revoked and when */
    keys: (id: string) =>
      r<{ items: BotKey[]; next_cursor: string | null }>("GET", `${bot(id)}/keys`, {
        query: { include_revoked: "true", limit: 100 },
        auth: "required",
      }),
    revokeKey: (id: string, keyId: string) =>
      r<void>("DELETE", `${bot(id)}/keys/${encodeURIComponent(keyId)}`, { auth: "required" }),
  };
}

export type OwnerApi = ReturnType<typeof ownerApi>;
