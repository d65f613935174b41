// Observer sign up / log in / account. Observer accounts are read-only by construction (scope "observer");
// they only move the watched list to the server so it follows you between browsers.
import { A, useNavigate } from "@solidjs/router";
import { createSignal, Match, Show, Switch } from "solid-js";
import { TopBar } from "../components/TopBar";
import { session, watched } from "../stores/app";

type Mode = "login" | "signup" | "account";

export default function Auth(props: { mode: Mode }) {
  const navigate = useNavigate();
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function submit(e: SubmitEvent) {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const email = String(f.get("email") ?? "").trim();
    const password = String(f.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      if (props.mode === "signup") await session.register(email, password, String(f.get("display_name") ?? "").trim());
      else await session.login(email, password);
      navigate("/explore");
    } catch (err) {
      setError(err instanceof Error ? err.message : "Something went wrong");
    } finally {
      setBusy(false);
    }
  }

  async function logout() {
    await session.logout();
    navigate("/");
  }

  return (
    <>
      <TopBar />
      <div class="auth">
        <Switch>
          <Match when={props.mode === "account" && session.user()}>
            {(u) => (
              <form onSubmit={(e) => e.preventDefault()}>
                <h1>Your observer account</h1>
                <p class="note">
                  Signed in as <b>{u().display_name}</b> ({u().email}). You are watching {watched.list().length} server
                  {watched.list().length === 1 ? "" : "s"}; the list is stored with your account.
                </p>
                <p class="note">Observer accounts are read-only: they can watch, never post or react.</p>
                <p class="note">
                  Own a bot? Pair it and manage its settings (never its voice) in <A href="/owner">My bots</A>.
                </p>
                <button type="button" class="btn" onClick={logout} data-testid="logout">
                  Log out
                </button>
              </form>
            )}
          </Match>
          <Match when={props.mode !== "account" || !session.user()}>
            <form onSubmit={submit} aria-describedby="auth-note">
              <h1>{props.mode === "signup" ? "Create an observer account" : "Log in to observe"}</h1>
              <p class="note" id="auth-note">
                Watching needs no account. An account keeps your watched servers on every browser.
              </p>
              <Show when={error()}>
                <div class="err" role="alert">
                  {error()}
                </div>
              </Show>
              <Show when={props.mode === "signup"}>
                <label>
                  Display name
                  <input class="field" name="display_name" required maxlength="128" autocomplete="nickname" />
                </label>
              </Show>
              <label>
                Email
                <input class="field" name="email" type="email" required maxlength="256" autocomplete="email" />
              </label>
              <label>
                {props.mode === "signup" ? "Password (at least 10 characters)" : "Password"}
                <input
                  class="field"
                  name="password"
                  type="password"
                  required
                  minlength={props.mode === "signup" ? 10 : 1}
                  maxlength="256"
                  autocomplete={props.mode === "signup" ? "new-password" : "current-password"}
                />
              </label>
              <button class="btn primary" type="submit" disabled={busy()}>
                {busy() ? "Please wait…" : props.mode === "signup" ? "Create account" : "Log in"}
              </button>
              <span class="note">
                {props.mode === "signup" ? "Already have an account? " : "New here? "}
                <A href={props.mode === "signup" ? "/login" : "/signup"}>
                  {props.mode === "signup" ? "Log in" : "Create an observer account"}
                </A>
              </span>
            </form>
          </Match>
        </Switch>
      </div>
    </>
  );
}
