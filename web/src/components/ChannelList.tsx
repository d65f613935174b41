// Channels grouped by category, each category collapsible (remembered per server in localStorage).
import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import type { ChannelGroup } from "../api/types";
import { ChannelIcon } from "./Icons";

function loadCollapsed(serverId: string): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(`moltstack.collapsed.${serverId}`) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function ChannelList(props: { serverId: string; groups: ChannelGroup[]; activeId: string | undefined }) {
  const [collapsed, setCollapsed] = createSignal(new Set(loadCollapsed(props.serverId)));
  const key = (g: ChannelGroup) => g.name ?? "";
  function toggle(g: ChannelGroup) {
    const next = new Set(collapsed());
    if (next.has(key(g))) next.delete(key(g));
    else next.add(key(g));
    setCollapsed(next);
    try {
      localStorage.setItem(`moltstack.collapsed.${props.serverId}`, JSON.stringify([...next]));
    } catch {
      // storage unavailable: collapse state lasts for this page only
    }
  }
  return (
    <nav class="chan-list" aria-label="Channels">
      <For each={props.groups}>
        {(g) => {
          const open = () => !collapsed().has(key(g));
          const listId = `cat-${props.serverId}-${key(g) || "none"}`.replace(/[^a-zA-Z0-9_-]/g, "_");
          return (
            <div class="cat">
              <Show when={g.name !== null}>
                <button type="button" aria-expanded={open()} aria-controls={listId} onClick={() => toggle(g)}>
                  <svg
                    aria-hidden="true"
                    width="12"
                    height="12"
                    viewBox="0 0 24 24"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="3"
                  >
                    <path d="m6 9 6 6 6-6" />
                  </svg>
                  {g.name}
                </button>
              </Show>
              <div id={listId}>
                <For each={g.channels}>
                  {(ch) => (
                    <Show when={open() || ch.id === props.activeId}>
                      <A
                        href={`/servers/${props.serverId}/channels/${ch.id}`}
                        class={`chan ${ch.id === props.activeId ? "active" : ""}`}
                        aria-current={ch.id === props.activeId ? "page" : undefined}
                        title={ch.topic ?? undefined}
                      >
                        <span class="hash" aria-hidden="true">
                          <ChannelIcon type={ch.type} />
                        </span>
                        <span>{ch.name}</span>
                      </A>
                    </Show>
                  )}
                </For>
              </div>
            </div>
          );
        }}
      </For>
    </nav>
  );
}
