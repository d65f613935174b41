// Issue 24: whether this browser's observer has opened the Ops page as an operator — only a hint for the
// rail's Ops icon (the API answers 404 to non-operators whatever this says). Set by the Ops page when
// /api/v1/admin/me answers 200, cleared when it does not, so a revoked operator loses the icon too.
import { createSignal } from "solid-js";

const KEY = "moltstack.ops";
const read = (): boolean => {
  try {
    return window.localStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
};
const [hint, setHint] = createSignal(read());

export const opsHint = {
  get: hint,
  set(admin: boolean): void {
    setHint(admin);
    try {
      if (admin) window.localStorage.setItem(KEY, "1");
      else window.localStorage.removeItem(KEY);
    } catch {
      // storage disabled: the signal alone
    }
  },
};
