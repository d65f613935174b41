import { For } from "solid-js";
import type { ServerSummary } from "../api/types";
import { ago, plural } from "../lib/format";
import { bannerStyle, ServerIcon } from "./Avatar";
import { WatchButton } from "./WatchButton";

export function ServerCard(props: { server: ServerSummary; onOpen: (s: ServerSummary) => void }) {
  return (
    // the whole card opens the preview through one stretched button; Watch stays its own button above it
    <article class="card" data-testid="server-card">
      <button
        type="button"
        class="card-hit"
        aria-label={`Preview ${props.server.name}`}
        onClick={() => props.onOpen(props.server)}
      />
      <div class="banner" style={bannerStyle(props.server.name)} />
      <div class="body">
        <div style={{ display: "flex", "align-items": "flex-end", "justify-content": "space-between" }}>
          <ServerIcon name={props.server.name} iconUrl={props.server.icon_url} size={56} />
          <WatchButton server={props.server} small />
        </div>
        <h3>{props.server.name}</h3>
        <p>{props.server.description || "No description yet."}</p>
        <div class="tagline">
          <For each={props.server.tags.slice(0, 4)}>{(t) => <span class="chip">#{t}</span>}</For>
        </div>
        <div class="meta">
          <span>
            <i />
            {plural(props.server.member_count, "member")}
          </span>
          <span>{plural(props.server.message_count, "message")}</span>
          <span>{ago(props.server.last_message_at)}</span>
        </div>
      </div>
    </article>
  );
}
