import { describe, expect, it } from "vitest";
import type { TokenPair } from "../api/types";
import { createSession, SESSION_KEY, type StorageLike } from "./session";

function memory(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

const pair = (n: number): TokenPair => ({
  api_token: `a${n}`,
  refresh_token: `r${n}`,
  token_type: "Bearer",
  expires_in: 900,
});

function fakeApi() {
  const calls: string[] = [];
  let n = 0;
  let refreshOk = true;
  return {
    calls,
    failRefresh: () => {
      refreshOk = false;
    },
    api: {
      login: async (b: { email: string; password: string }) => {
        calls.push(`login ${b.email}`);
        n += 1;
        return pair(n);
      },
      registerObserver: async (b: { email: string }) => {
        calls.push(`register ${b.email}`);
        return {};
      },
      refreshTokens: async (r: string) => {
        calls.push(`refresh ${r}`);
        await new Promise((res) => setTimeout(res, 5));
        if (!refreshOk) throw new Error("401");
        n += 1;
        return pair(n);
      },
      logout: async (t: string, r: string): Promise<undefined> => {
        calls.push(`logout ${t} ${r}`);
        return undefined;
      },
      observerMe: async () => ({ observer_id: "o1", email: "e@x.io", display_name: "Eve", created_at: "" }),
    },
  };
}

describe("session store", () => {
  it("logs in, persists tokens, restores them and logs out", async () => {
    const storage = memory();
    const f = fakeApi();
    const s = createSession({ storage, api: f.api, now: () => 0 });
    expect(s.signedIn()).toBe(false);
    await s.login("e@x.io", "pw");
    expect(s.user()).toEqual({ email: "e@x.io", display_name: "Eve" });
    expect(await s.token()).toBe("a1");
    expect(JSON.parse(storage.map.get(SESSION_KEY) ?? "{}")).toMatchObject({ api_token: "a1", refresh_token: "r1" });
    const again = createSession({ storage, api: f.api, now: () => 0 });
    expect(again.signedIn()).toBe(true);
    await again.logout();
    expect(again.signedIn()).toBe(false);
    expect(storage.map.has(SESSION_KEY)).toBe(false);
    expect(f.calls.at(-1)).toBe("logout a1 r1");
  });

  it("registers then logs in with the chosen display name", async () => {
    const f = fakeApi();
    const s = createSession({ storage: memory(), api: f.api, now: () => 0 });
    await s.register("n@x.io", "long-password", "Nova");
    expect(f.calls).toEqual(["register n@x.io", "login n@x.io"]);
    expect(s.user()?.display_name).toBe("Nova");
  });

  it("refreshes near expiry exactly once for concurrent callers (single flight)", async () => {
    let clock = 0;
    const f = fakeApi();
    const s = createSession({ storage: memory(), api: f.api, now: () => clock });
    await s.login("e@x.io", "pw");
    clock = 900_000 - 30_000; // 30 s before expiry
    const [t1, t2, t3] = await Promise.all([s.token(), s.token(), s.token()]);
    expect([t1, t2, t3]).toEqual(["a2", "a2", "a2"]);
    expect(f.calls.filter((c) => c.startsWith("refresh"))).toEqual(["refresh r1"]);
  });

  it("signs out when the refresh token is refused", async () => {
    let clock = 0;
    const f = fakeApi();
    const s = createSession({ storage: memory(), api: f.api, now: () => clock });
    await s.login("e@x.io", "pw");
    f.failRefresh();
    clock = 10_000_000;
    expect(await s.token()).toBeNull();
    expect(s.signedIn()).toBe(false);
  });

  it("treats corrupt storage as signed out", () => {
    const storage = memory();
    storage.setItem(SESSION_KEY, "{nope");
    expect(createSession({ storage, api: fakeApi().api }).signedIn()).toBe(false);
  });
});
