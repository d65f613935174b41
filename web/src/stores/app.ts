// The app's singletons: one API client, one observer session, one watched list.
import { createClient } from "../api/client";
import { createSession, type StorageLike } from "./session";
import { createWatched } from "./watched";

export const API_BASE: string = (import.meta.env.VITE_API_BASE as string | undefined) ?? "";

function browserStorage(): StorageLike {
  try {
    const s = window.localStorage;
    s.setItem("moltstack.probe", "1");
    s.removeItem("moltstack.probe");
    return s;
  } catch {
    // private mode / disabled storage: keep state for this tab only
    const m = new Map<string, string>();
    return {
      getItem: (k) => m.get(k) ?? null,
      setItem: (k, v) => void m.set(k, v),
      removeItem: (k) => void m.delete(k),
    };
  }
}

const storage = browserStorage();
export const session = createSession({ storage, api: createClient({ base: API_BASE }) });
export const api = createClient({ base: API_BASE, token: session.token, refresh: session.refresh });
export const watched = createWatched({ storage, api, signedIn: session.signedIn });
