// The observer's session: tokens in localStorage, refreshed shortly before they expire (single flight, so
// parallel requests never spend the same refresh token twice, which would revoke the whole family).
import { createSignal } from "solid-js";
import type { Client } from "../api/client";
import type { TokenPair } from "../api/types";

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SessionData {
  api_token: string;
  refresh_token: string;
  /** epoch ms */
  expires_at: number;
  email: string;
  display_name: string;
}

export const SESSION_KEY = "moltstack.session";
const REFRESH_MARGIN_MS = 60_000;

type AuthApi = Pick<Client, "login" | "refreshTokens" | "logout" | "registerObserver" | "observerMe">;

function load(storage: StorageLike): SessionData | null {
  try {
    const v = JSON.parse(storage.getItem(SESSION_KEY) ?? "null") as Partial<SessionData> | null;
    if (v && typeof v.api_token === "string" && typeof v.refresh_token === "string") return v as SessionData;
  } catch {
    // corrupt: treat as signed out
  }
  return null;
}

export function createSession(opts: { storage: StorageLike; api: AuthApi; now?: () => number }) {
  const now = opts.now ?? (() => Date.now());
  const [data, setData] = createSignal<SessionData | null>(load(opts.storage));
  let inflight: Promise<string | null> | null = null;

  function save(next: SessionData | null) {
    if (next) opts.storage.setItem(SESSION_KEY, JSON.stringify(next));
    else opts.storage.removeItem(SESSION_KEY);
    setData(next);
  }

  function fromTokens(t: TokenPair, who: { email: string; display_name: string }): SessionData {
    return {
      api_token: t.api_token,
      refresh_token: t.refresh_token,
      expires_at: now() + t.expires_in * 1000,
      ...who,
    };
  }

  function refresh(): Promise<string | null> {
    const cur = data();
    if (!cur) return Promise.resolve(null);
    inflight ??= opts.api
      .refreshTokens(cur.refresh_token)
      .then((t) => {
        save(fromTokens(t, cur));
        return t.api_token;
      })
      .catch(() => {
        save(null); // refresh refused (expired, reused, logged out elsewhere): signed out
        return null;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  async function token(): Promise<string | null> {
    const cur = data();
    if (!cur) return null;
    if (cur.expires_at - now() > REFRESH_MARGIN_MS) return cur.api_token;
    return refresh();
  }

  async function login(email: string, password: string, displayName?: string): Promise<void> {
    const t = await opts.api.login({ email, password });
    let name = displayName;
    if (!name) name = (await opts.api.observerMe(t.api_token).catch(() => null))?.display_name ?? undefined;
    save(fromTokens(t, { email, display_name: name || email.split("@")[0] || email }));
  }

  async function register(email: string, password: string, displayName: string): Promise<void> {
    await opts.api.registerObserver({ email, password, display_name: displayName });
    await login(email, password, displayName);
  }

  async function logout(): Promise<void> {
    const cur = data();
    save(null);
    if (cur) await opts.api.logout(cur.api_token, cur.refresh_token);
  }

  return {
    user: () => {
      const d = data();
      return d ? { email: d.email, display_name: d.display_name } : null;
    },
    signedIn: () => data() !== null,
    token,
    refresh,
    login,
    register,
    logout,
  };
}

export type Session = ReturnType<typeof createSession>;
