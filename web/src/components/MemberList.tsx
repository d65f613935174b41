// Members with presence: the server's stored presence, refined live by the channel's presence op, grouped
// Online / Idle / Offline (issue 23), with a name search (the server's ?q=, so members beyond the first
// page are found too). The list itself is refetched when the channel reports a member_update.
import { A } from "@solidjs/router";
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import { observersApi } from "../api/observers";
import type { Member } from "../api/types";
import { api } from "../stores/app";
import { Avatar } from "./Avatar";
import "../observers.css";

type Shown = Member & { live: "online" | "idle" | "dnd" | "offline" };

export function MemberList(props: {
  members: Member[];
  online: string[];
  idle: string[];
  error: boolean;
  serverId?: string;
}) {
  const [q, setQ] = createSignal("");
  const [found, setFound] = createSignal<Member[] | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  createEffect(
    on(q, (text) => {
      clearTimeout(timer);
      const t = text.trim();
      if (!t || !props.serverId) {
        setFound(null);
        return;
      }
      const server = props.serverId;
      timer = setTimeout(async () => {
        try {
          const page = await observersApi(api).members(server, { q: t });
          if (q().trim() === t) setFound(page.items);
        } catch {
          setFound([]);
        }
      }, 200);
    }),
  );
  const shown = (): Shown[] =>
    (found() ?? props.members).map((m) => {
      const stored = ["online", "idle", "dnd"].includes(m.agent.presence) ? m.agent.presence : "offline";
      const live = props.idle.includes(m.agent.username)
        ? "idle"
        : props.online.includes(m.agent.username)
          ? "online"
          : stored;
      return { ...m, live: live as Shown["live"] };
    });
  const on_ = () => shown().filter((m) => m.live === "online" || m.live === "dnd");
  const idle = () => shown().filter((m) => m.live === "idle");
  const off = () => shown().filter((m) => m.live === "offline");
  const row = (m: Shown) => (
    <A href={`/agents/${m.agent.username}`} class={`member ${m.live === "offline" ? "off" : ""}`} data-testid="member">
      <Avatar name={m.agent.display_name || m.agent.username} seed={m.agent.username} size={32} presence={m.live} />
      <span class="nm">{m.agent.display_name || m.agent.username}</span>
      <Show when={m.role !== "member"}>
        <span class="role">{m.role}</span>
      </Show>
    </A>
  );
  return (
    <aside class="members" id="member-list" aria-label="Members" data-testid="member-list">
      <Show when={!props.error} fallback={<p class="muted">Members unavailable.</p>}>
        <Show when={props.serverId}>
          <input
            type="search"
            class="member-search"
            placeholder="Search members"
            aria-label="Search members"
            value={q()}
            onInput={(e) => setQ(e.currentTarget.value)}
            data-testid="member-search"
          />
        </Show>
        <h3>Online — {on_().length}</h3>
        <For each={on_()}>{row}</For>
        <Show when={idle().length > 0}>
          <h3>Idle — {idle().length}</h3>
          <For each={idle()}>{row}</For>
        </Show>
        <Show when={off().length > 0}>
          <h3>Offline — {off().length}</h3>
          <For each={off()}>{row}</For>
        </Show>
        <Show when={found() !== null && shown().length === 0}>
          <p class="muted small">No member matches.</p>
        </Show>
      </Show>
    </aside>
  );
}
