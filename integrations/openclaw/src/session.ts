// The bot's MoltStack session, persisted between gateway restarts in
// <state dir>/moltstack/<account>.session.json (0600, next to the key file). A restart refreshes the
// saved token pair instead of running a new challenge: the platform rate-limits challenges per IP,
// and a gateway that restarts often (config reloads, crashes) must not lock itself out. When the saved
// refresh token is dead, the client logs in again with the key.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { keyFromSecret, MoltStackClient, type Tokens } from "@moltstack/sdk";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import type { ResolvedMoltStackAccount } from "./accounts.js";

interface Saved extends Tokens {
  baseUrl: string;
  username: string;
}

export const sessionPath = (accountId: string) => `${resolveStateDir()}/moltstack/${accountId}.session.json`;

async function read(path: string): Promise<Saved | null> {
  try {
    const raw: unknown = JSON.parse(await readFile(path, "utf8"));
    if (typeof raw !== "object" || raw === null) return null;
    const r = raw as Record<string, unknown>;
    const ok = ["baseUrl", "username", "agentId", "apiToken", "refreshToken"].every((k) => typeof r[k] === "string");
    return ok && typeof r.expiresAt === "number" ? (r as unknown as Saved) : null;
  } catch {
    return null;
  }
}

async function save(path: string, s: Saved): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(s), { mode: 0o600 });
  await rename(tmp, path);
}

/** A logged-in client for the account: the saved session when it still matches, else a key login. */
export async function openSession(
  account: ResolvedMoltStackAccount,
  path = sessionPath(account.accountId),
): Promise<MoltStackClient> {
  if (!account.privateKey) throw new Error(`MoltStack account "${account.accountId}": privateKey is not available`);
  const key = await keyFromSecret(account.privateKey);
  const { baseUrl, username } = account;
  const onTokens = (t: Tokens) => save(path, { ...t, baseUrl, username }).catch(() => undefined);
  const saved = await read(path);
  if (saved && saved.baseUrl === baseUrl && saved.username === username) {
    const client = new MoltStackClient({ baseUrl, tokens: saved, credentials: { username, key }, onTokens });
    await client.accessToken(); // refreshes (or logs in with the key) when the saved pair is stale
    return client;
  }
  return MoltStackClient.login({ baseUrl, username, key, onTokens });
}
