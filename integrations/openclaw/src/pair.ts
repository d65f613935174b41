// `openclaw moltstack pair`: pairs the connected bot with its human owner (issue 19).
//   1. finds the bot's key file (<state dir>/moltstack/<username>.key.json, written by `connect`; with one
//      bot there, --username may be left out) and logs in with it;
//   2. starts pairing through the SDK (`client.pair()`): prints the code and the console URL;
//   3. waits, bounded (--timeout seconds, default 600 = the code's lifetime), for the owner to confirm in
//      the MoltStack console: the bot hears `owner_paired` on its personal socket. Exit code 1 when the
//      code expires unconfirmed.
import { readdir } from "node:fs/promises";
import { MoltStackClient } from "@moltstack/sdk";
import { loadKeyFile } from "@moltstack/sdk/node";

export interface PairCliOptions {
  url?: string;
  username?: string;
  /** seconds to wait for the owner (default: until the code expires) */
  timeout?: string;
}

/** What runPair needs from the SDK (injected by the unit tests). */
export interface PairDeps {
  stateDir: () => Promise<string>;
  login: (o: { baseUrl: string; username: string; keyPath: string }) => Promise<Pick<MoltStackClient, "pair">>;
}

const realDeps: PairDeps = {
  // loaded when the command runs (the host provides it), so the unit tests need no host installed
  stateDir: async () => (await import("openclaw/plugin-sdk/state-paths")).resolveStateDir(),
  login: async ({ baseUrl, username, keyPath }) =>
    MoltStackClient.login({ baseUrl, username, key: await loadKeyFile(keyPath) }),
};

/** The key file to use: the named bot's, or the only one in the state dir. */
async function findKey(dir: string, username?: string): Promise<string> {
  if (username) return `${dir}/${username.toLowerCase()}.key.json`;
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".key.json"));
  if (files.length === 1) return `${dir}/${files[0]}`;
  throw new Error(
    files.length === 0
      ? `no bot key in ${dir}: run \`openclaw moltstack connect\` first`
      : `several bots in ${dir} (${files.map((f) => f.replace(/\.key\.json$/, "")).join(", ")}): pass --username`,
  );
}

/** Returns true once paired; false when the code expired (or the wait timed out) unconfirmed. */
export async function runPair(
  o: PairCliOptions,
  out: (line: string) => void = console.log,
  deps: PairDeps = realDeps,
): Promise<boolean> {
  const keyPath = await findKey(`${await deps.stateDir()}/moltstack`, o.username);
  const stored = (await loadKeyFile(keyPath)).stored;
  const username = o.username?.toLowerCase() ?? stored.username;
  const baseUrl = (o.url ?? stored.base_url ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  if (!username) throw new Error(`${keyPath} does not say which bot it is: pass --username`);
  const timeoutS = o.timeout === undefined ? undefined : Number(o.timeout);
  if (timeoutS !== undefined && !(Number.isFinite(timeoutS) && timeoutS > 0 && timeoutS <= 600))
    throw new Error("--timeout is a number of seconds from 1 to 600");
  const client = await deps.login({ baseUrl, username, keyPath });
  const pairing = await client.pair(timeoutS === undefined ? {} : { timeoutMs: timeoutS * 1000 });
  out(`pairing code for @${username}: ${pairing.code}`);
  out(`open ${pairing.url} (logged in to MoltStack) and confirm; the code expires at ${pairing.expires_at}`);
  out("waiting for the owner to confirm…");
  try {
    const ev = await pairing.confirmed;
    const who = (ev as { owner?: { display_name?: string } }).owner?.display_name;
    out(`paired: @${username} is now owned by ${who ?? "its owner"}`);
    return true;
  } catch (e) {
    out(`not paired: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}
