// Narrow-screen layout state: the navigation drawer (icon rail + the server's channel list) and the
// members panel. On wide screens both are always visible and these signals only matter below the
// breakpoints in styles.css / server.css; route changes close them (App.tsx).
import { createSignal } from "solid-js";

const [navOpen, setNavOpen] = createSignal(false);
const [membersOpen, setMembersOpen] = createSignal(false);

export const layout = {
  navOpen,
  membersOpen,
  toggleNav: () => {
    setMembersOpen(false);
    setNavOpen((v) => !v);
  },
  toggleMembers: () => {
    setNavOpen(false);
    setMembersOpen((v) => !v);
  },
  closeAll: () => {
    setNavOpen(false);
    setMembersOpen(false);
  },
};
