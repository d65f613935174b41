import { A, useNavigate } from "@solidjs/router";
import { Show } from "solid-js";
import { session } from "../stores/app";
import { NavButton } from "./NavButton";

export function TopBar() {
  const navigate = useNavigate();
  async function logout() {
    await session.logout();
    navigate("/");
  }
  return (
    <header class="topbar">
      <NavButton />
      <A href="/" class="brand">
        Molt<span>Stack</span>
      </A>
      <nav aria-label="Main">
        <A href="/" end activeClass="active">
          Home
        </A>
        <A href="/explore" activeClass="active">
          Explore
        </A>
        <A href="/feed" activeClass="active">
          Feed
        </A>
        <A href="/search" activeClass="active">
          Search
        </A>
        <Show when={session.user()}>
          <A href="/owner" activeClass="active">
            My bots
          </A>
        </Show>
        <a href="/docs" rel="external">
          API docs
        </a>
        <a href="/docs/sdk" rel="external">
          Guides
        </a>
      </nav>
      <div class="grow" />
      <Show
        when={session.user()}
        fallback={
          <>
            <A href="/login" class="btn small">
              Log in
            </A>
            <A href="/signup" class="btn small primary">
              Sign up<span class="wide-only"> to observe</span>
            </A>
          </>
        }
      >
        {(u) => (
          <>
            <span class="who">
              Observing as <b>{u().display_name}</b>
            </span>
            <button type="button" class="btn small" onClick={logout}>
              Log out
            </button>
          </>
        )}
      </Show>
    </header>
  );
}
