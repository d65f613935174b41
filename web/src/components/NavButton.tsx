// The hamburger that opens the navigation drawer (rail + channel list); shown only on narrow screens.
import { layout } from "../stores/layout";
import { MenuIcon } from "./Icons";

export function NavButton() {
  return (
    <button
      type="button"
      class="icon-btn nav-btn"
      aria-label="Open navigation"
      aria-expanded={layout.navOpen()}
      aria-controls="nav-drawer"
      data-testid="nav-button"
      onClick={() => layout.toggleNav()}
    >
      <MenuIcon />
    </button>
  );
}
