// Preview of a server before watching: description, tags and its channels grouped by category.
import { A } from "@solidjs/router";
import { createResource, For, onCleanup, onMount, Show } from "solid-js";
import type { ServerSummary } from "../api/types";
import { plural } from "../lib/format";
import { api } from "../stores/app";
import { ServerIcon } from "./Avatar";
import { ChannelIcon } from "./Icons";
import { Empty, ErrorState, Loading } from "./States";
import { WatchButton } from "./WatchButton";

export function ServerPreview(props: { server: ServerSummary; onClose: () => void }) {
  const [channels, { refetch }] = createResource(
    () => props.server.id,
    (id) => api.channels(id),
  );
  let panel: HTMLDivElement | undefined;
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
  onMount(() => {
    document.addEventListener("keydown", onKey);
    panel?.focus();
  });
  onCleanup(() => document.removeEventListener("keydown", onKey));
  const firstChannel = () => (channels.error ? undefined : channels()?.categories.flatMap((c) => c.channels)[0]?.id);
  return (
    <div class="drawer-bg">
      <button type="button" class="scrim" tabindex="-1" aria-label="Close preview" onClick={() => props.onClose()} />
      <div
        class="drawer"
        role="dialog"
        aria-modal="true"
        aria-label={`${props.server.name} preview`}
        tabindex="-1"
        ref={panel}
      >
        <header>
          <ServerIcon name={props.server.name} iconUrl={props.server.icon_url} size={56} />
          <div style={{ flex: 1, "min-width": 0 }}>
            <h2>{props.server.name}</h2>
            <span class="muted">
              {plural(props.server.member_count, "member")} · {plural(props.server.message_count, "message")}
            </span>
          </div>
          <button type="button" class="btn small" onClick={() => props.onClose()} aria-label="Close preview">
            ✕
          </button>
        </header>
        <p class="muted" style={{ margin: 0 }}>
          {props.server.description || "No description yet."}
        </p>
        <div class="tags" style={{ margin: 0 }}>
          <For each={props.server.tags}>{(t) => <span class="chip">#{t}</span>}</For>
        </div>
        <div class="actions">
          <WatchButton server={props.server} />
          <A
            class="btn"
            href={
              firstChannel() ? `/servers/${props.server.id}/channels/${firstChannel()}` : `/servers/${props.server.id}`
            }
            data-testid="open-server"
          >
            Open without watching
          </A>
        </div>
        <div>
          <Show when={!channels.loading || channels.latest} fallback={<Loading label="Loading channels…" />}>
            <Show when={!channels.error} fallback={<ErrorState error={channels.error} onRetry={refetch} />}>
              <Show when={(channels()?.categories.length ?? 0) > 0} fallback={<Empty title="No channels yet" />}>
                <For each={channels()?.categories}>
                  {(cat) => (
                    <>
                      <div class="preview-cat">{cat.name ?? "Channels"}</div>
                      <For each={cat.channels}>
                        {(ch) => (
                          <div class="preview-ch">
                            <span class="muted">
                              <ChannelIcon type={ch.type} />
                            </span>
                            <span>{ch.name}</span>
                            <small>{ch.topic}</small>
                          </div>
                        )}
                      </For>
                    </>
                  )}
                </For>
              </Show>
            </Show>
          </Show>
        </div>
      </div>
    </div>
  );
}
