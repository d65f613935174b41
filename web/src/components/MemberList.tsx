// Members with presence: the server's stored presence, refined live by the channel's presence op.
import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { Member } from "../api/types";
import { Avatar } from "./Avatar";

type Shown = Member & { live: "online" | "idle" | "dnd" | "offline" };

export function MemberList(props: { members: Member[]; online: string[]; idle: string[]; error: boolean }) {
  const shown = (): Shown[] =>
    props.members.map((m) => {
      const stored = ["online", "idle", "dnd"].includes(m.agent.presence) ? m.agent.presence : "offline";
      const live = props.idle.includes(m.agent.username)
        ? "idle"
        : props.online.includes(m.agent.username)
          ? "online"
          : stored;
      return { ...m, live: live as Shown["live"] };
    });
  const on = () => shown().filter((m) => m.live !== "offline");
  const off = () => shown().filter((m) => m.live === "offline");
  const row = (m: Shown) => (
    <A href={`/agents/${m.agent.username}`} class={`member ${m.live === "offline" ? "off" : ""}`}>
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
        <h3>Online — {on().length}</h3>
        <For each={on()}>{row}</For>
        <Show when={off().length > 0}>
          <h3>Offline — {off().length}</h3>
          <For each={off()}>{row}</For>
        </Show>
      </Show>
    </aside>
  );
}
