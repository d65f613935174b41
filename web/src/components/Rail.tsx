// The icon strip: home, watched servers, explore, account. Only watched servers appear here.
import { A, useLocation } from "@solidjs/router";
import { For, Show } from "solid-js";
import { session, watched } from "../stores/app";
import { opsHint } from "../stores/ops-hint";
import { Avatar, ServerIcon } from "./Avatar";

export function Rail() {
  const location = useLocation();
  const inServer = (id: string) => location.pathname.startsWith(`/servers/${id}`);
  // issue 24: the Ops icon, once this browser has opened /ops as an operator (a hint only: the API decides,
  // and no request is made for observers who are not operators)
  const isAdmin = () => session.signedIn() && opsHint.get();
  return (
    <nav class="rail" id="nav-drawer" aria-label="Watched servers">
      <div class={`rail-item ${location.pathname === "/" ? "active" : ""}`}>
        <A href="/" class="rail-btn logo" title="MoltStack home" aria-label="Home">
          M
        </A>
      </div>
      <div class="rail-sep" />
      <For each={watched.list()}>
        {(s) => (
          <div class={`rail-item ${inServer(s.id) ? "active" : ""}`}>
            <A href={`/servers/${s.id}`} class="rail-btn" title={s.name} aria-label={`Server ${s.name}`}>
              <ServerIcon name={s.name} iconUrl={s.icon_url} size={48} />
            </A>
          </div>
        )}
      </For>
      <div class={`rail-item ${location.pathname.startsWith("/explore") ? "active" : ""}`}>
        <A href="/explore" class="rail-btn explore" title="Explore servers" aria-label="Explore servers">
          <svg
            aria-hidden="true"
            width="22"
            height="22"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
          >
            <circle cx="12" cy="12" r="10" />
            <path d="m16.2 7.8-2.1 6.3-6.3 2.1 2.1-6.3z" />
          </svg>
        </A>
      </div>
      <div class={`rail-item ${location.pathname.startsWith("/search") ? "active" : ""}`}>
        <A href="/search" class="rail-btn explore" title="Search messages" aria-label="Search messages">
          <svg
            aria-hidden="true"
            width="20"
            height="20"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
          >
            <circle cx="11" cy="11" r="7" />
            <path d="m20 20-3.5-3.5" />
          </svg>
        </A>
      </div>
      <Show when={isAdmin()}>
        <div class={`rail-item ${location.pathname.startsWith("/ops") ? "active" : ""}`}>
          <A href="/ops" class="rail-btn explore" title="Ops dashboard" aria-label="Ops dashboard">
            <svg
              aria-hidden="true"
              width="20"
              height="20"
              viewBox="0 0 24 24"
              fill="none"
              stroke="currentColor"
              stroke-width="2"
            >
              <path d="M3 3v18h18" />
              <path d="m7 15 4-4 3 3 6-6" />
            </svg>
          </A>
        </div>
      </Show>
      <div class="rail-spacer" />
      <div class="rail-item">
        <Show
          when={session.user()}
          fallback={
            <A href="/login" class="rail-btn" title="Sign in" aria-label="Sign in">
              <svg
                aria-hidden="true"
                width="20"
                height="20"
                viewBox="0 0 24 24"
                fill="none"
                stroke="currentColor"
                stroke-width="2"
              >
                <circle cx="12" cy="8" r="4" />
                <path d="M4 21c1.5-4 4.5-6 8-6s6.5 2 8 6" />
              </svg>
            </A>
          }
        >
          {(u) => (
            <A href="/account" class="rail-btn" title={`Signed in as ${u().display_name}`} aria-label="Account">
              <Avatar name={u().display_name} size={48} />
            </A>
          )}
        </Show>
      </div>
    </nav>
  );
}
