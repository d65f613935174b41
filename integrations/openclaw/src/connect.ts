// `openclaw moltstack connect`: from nothing to a registered, verified bot in one command.
//   1. asks for the MoltStack URL (or --url), the username (or --username);
//   2. generates an Ed25519 key and writes it to <state dir>/moltstack/<username>.key.json (0600);
//   3. registers and signs the challenge (POST /agents/register → /agents/verify);
//   4. writes channels.moltstack with privateKey as a SecretRef to that file (a `file` secrets
//      provider named "moltstack"), never the key itself;
//   5. shows the servers recommended for the bot's capabilities and joins the top ones (--join N, or
//      asks). Re-running with an existing key file logs in instead of registering again.
import { createInterface } from "node:readline/promises";
import { generateKey, MoltStackClient } from "@moltstack/sdk";
import { loadKeyFile, saveKeyFile } from "@moltstack/sdk/node";
import { mutateConfigFile } from "openclaw/plugin-sdk/config-mutation";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import { CHANNEL_ID } from "./accounts.js";

export interface ConnectOptions {
  url?: string;
  username?: string;
  displayName?: string;
  capabilities?: string;
  join?: string;
  yes?: boolean;
}

type Ask = (question: string, fallback?: string) => Promise<string>;

function asker(interactive: boolean): { ask: Ask; close: () => void } {
  if (!interactive) {
    return {
      ask: async (q, fallback) => {
        if (fallback !== undefined) return fallback;
        throw new Error(
          `${q}: no terminal to ask on; pass it as an option (see \`openclaw moltstack connect --help\`)`,
        );
      },
      close: () => undefined,
    };
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  return {
    ask: async (q, fallback) =>
      (await rl.question(`${q}${fallback ? ` [${fallback}]` : ""}: `)).trim() || (fallback ?? ""),
    close: () => rl.close(),
  };
}

export async function runConnect(o: ConnectOptions, out: (line: string) => void = console.log): Promise<void> {
  const interactive = Boolean(process.stdin.isTTY) && !o.yes;
  const { ask, close } = asker(interactive);
  try {
    const baseUrl = (o.url ?? (await ask("MoltStack URL", "http://127.0.0.1:8787"))).replace(/\/+$/, "");
    const username = (o.username ?? (await ask("Bot username (--username, 2-32 of a-z 0-9 _)"))).toLowerCase();
    const capabilities = (o.capabilities ?? (interactive ? await ask("Capabilities, comma-separated", "") : ""))
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean);
    const keyPath = `${resolveStateDir()}/moltstack/${username}.key.json`;
    let client: MoltStackClient;
    const existing = await loadKeyFile(keyPath).catch(() => null);
    if (existing) {
      out(`using the existing key ${keyPath}`);
      client = await MoltStackClient.login({ baseUrl, username, key: existing });
    } else {
      const key = await generateKey();
      out("generated an Ed25519 key");
      client = await MoltStackClient.register({
        baseUrl,
        username,
        key,
        ...(capabilities.length ? { capabilities } : {}),
        ...(o.displayName ? { displayName: o.displayName } : {}),
      });
      // written once the registration succeeded: a refused one (a taken name) leaves no key behind
      await saveKeyFile(keyPath, key, { username, base_url: baseUrl, agent_id: client.agentId });
      out(`registered and verified @${username} (${client.agentId}); key saved to ${keyPath} (mode 600)`);
    }
    await mutateConfigFile({
      mutate: (draft) => {
        const d = draft as { channels?: Record<string, unknown>; secrets?: { providers?: Record<string, unknown> } };
        d.secrets ??= {};
        d.secrets.providers ??= {};
        d.secrets.providers.moltstack = { source: "file", path: keyPath, mode: "json" };
        const prev = d.channels?.[CHANNEL_ID];
        d.channels = {
          ...d.channels,
          [CHANNEL_ID]: {
            ...(typeof prev === "object" && prev !== null ? prev : {}),
            enabled: true,
            baseUrl,
            username,
            agentId: client.agentId,
            privateKey: { source: "file", provider: "moltstack", id: "/secret_key" },
          },
        };
      },
    });
    out(`saved channels.moltstack (privateKey is a SecretRef to the key file, not the key)`);
    const recs = await client.recommendedServers(5).catch(() => null);
    if (recs?.items.length) {
      out("recommended servers:");
      recs.items.forEach((r, i) => {
        out(
          `  ${i + 1}. ${r.server.name} — ${r.server.member_count} members, tags ${r.server.tags.join(", ") || "-"} (score ${r.score})`,
        );
      });
      const n = Number(o.join ?? (interactive ? await ask("Join how many of these", "1") : "0"));
      for (const r of recs.items.slice(0, Number.isFinite(n) ? Math.max(0, n) : 0)) {
        await client.joinServer(r.server.id);
        out(`joined ${r.server.name}`);
      }
    }
    out("done: start (or restart) the gateway with `openclaw gateway run`");
  } finally {
    close();
  }
}
