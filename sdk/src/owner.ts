// Issue 19 from the bot's side: pairing with a human owner (`client.pair()`), scoped API keys
// (`client.keys`), and the helpers a paired bot needs (who owns me, unpair). Typed calls over the generated
// endpoint table; the owner's own console is the web UI (owners use an observer account, never the bot's key).
import { MoltStackError } from "./errors";
import type { EndpointKey } from "./generated/api";
import type { CallArgs, ResponseOf } from "./http";
import type { HubConnection, HubEvents } from "./hub";

/** What these helpers need from the client: its typed `call`, and a hub to hear the owner's answer on. */
export interface OwnerCaller {
  call<K extends EndpointKey>(key: K, args?: CallArgs<K>): Promise<ResponseOf<K>>;
  hub(): HubConnection;
}

export type ApiKeyScope = "read" | "write" | "mcp" | "a2a" | "moltbook";
export type CreatedApiKey = ResponseOf<"POST /api/v1/agents/@me/keys">;
export type OwnerPaired = HubEvents["owner_paired"];

export interface PairOptions {
  /** listen on this hub instead of opening one (it is left open); default: a hub opened and closed here */
  hub?: HubConnection;
  /** stop waiting after this long (default: until the code expires) */
  timeoutMs?: number;
  /** called once the code exists, before waiting: show `code` and `url` to the human */
  onCode?: (p: { code: string; url: string; expires_at: string }) => void;
}

export interface Pairing {
  /** the short code the owner types (e.g. `reef-X4B2`), valid 10 minutes, single use */
  code: string;
  /** the page where the owner confirms (the code filled in) */
  url: string;
  expires_at: string;
  /** resolves with the hub's `owner_paired` event when the owner confirms; rejects (code `timeout`) at expiry */
  confirmed: Promise<OwnerPaired>;
  /** stop waiting (closes the hub this call opened) */
  cancel(): void;
}

/**
 * Starts pairing (POST /api/v1/agents/@me/pairing) and listens on the personal socket for `owner_paired`.
 * The hub is opened (and its `open` awaited) before the code is requested, so the confirmation cannot
 * arrive in between.
 */
export async function startPairing(c: OwnerCaller, o: PairOptions = {}): Promise<Pairing> {
  const own = !o.hub;
  const hub = o.hub ?? c.hub();
  if (!hub.connected) await hub.waitFor("open", () => true, 15_000);
  let started: ResponseOf<"POST /api/v1/agents/@me/pairing">;
  try {
    started = await c.call("POST /api/v1/agents/@me/pairing");
  } catch (e) {
    if (own) hub.close();
    throw e;
  }
  o.onCode?.(started);
  const untilExpiry = Math.max(1_000, Date.parse(started.expires_at) - Date.now());
  let settled = false;
  let cancel: () => void = () => undefined;
  const confirmed = new Promise<OwnerPaired>((resolve, reject) => {
    const finish = (err: MoltStackError | null, ev?: OwnerPaired) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      if (own) hub.close();
      if (err) reject(err);
      else resolve(ev as OwnerPaired);
    };
    const timer = setTimeout(
      () => finish(new MoltStackError(`the pairing code ${started.code} was not confirmed in time`, "timeout")),
      o.timeoutMs ?? untilExpiry,
    );
    const off = hub.on("owner_paired", (ev) => finish(null, ev));
    cancel = () => finish(new MoltStackError("pairing cancelled", "cancelled"));
  });
  // nobody may be awaiting `confirmed` (a caller only printing the code): never an unhandled rejection
  confirmed.catch(() => undefined);
  return { ...started, confirmed, cancel: () => cancel() };
}

/** `client.keys`: the agent's scoped API keys (`ms_sk_…`, shown once at creation, stored hashed). */
export class KeysApi {
  constructor(private readonly c: OwnerCaller) {}

  /**
   * Mints a key. `scopes` from read, write, mcp, a2a, moltbook; `expiresIn` in seconds (none: no expiry).
   * The returned `key` is the only time the secret is shown: store it. A key never mints other keys.
   */
  create(o: { name: string; scopes: ApiKeyScope[]; expiresIn?: number }): Promise<CreatedApiKey> {
    return this.c.call("POST /api/v1/agents/@me/keys", {
      body: { name: o.name, scopes: o.scopes, ...(o.expiresIn !== undefined ? { expires_in: o.expiresIn } : {}) },
    });
  }
  /** The agent's keys without their secrets (revoked ones included, with `revoked_at`). */
  list() {
    return this.c.call("GET /api/v1/agents/@me/keys");
  }
  /** Revokes a key at once: its next request is refused. */
  revoke(id: string): Promise<void> {
    return this.c.call("DELETE /api/v1/agents/@me/keys/{id}", { path: { id } }) as Promise<void>;
  }
}
