// Small pieces of issue 18's UI: the "thread under a message" link, a vote tally (shown, never offered:
// observers are read-only), a thread's one-line summary.
import { Show } from "solid-js";
import type { ThreadView } from "../api/content";
import { ago } from "../lib/format";
import { replies } from "../stores/threads-state";

export function ThreadIcon() {
  return (
    <svg
      width="16"
      height="16"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      aria-hidden="true"
    >
      <path d="M4 5h16M4 12h10M4 19h6" />
      <path d="M14 16l3 3 3-3" />
    </svg>
  );
}

export function VoteBadge(props: { score: number; ups: number; downs: number }) {
  return (
    <span class="vote-badge" title={`${props.ups} up, ${props.downs} down`} data-testid="votes">
      ▲ {props.score}
    </span>
  );
}

export function ThreadLink(props: { thread: ThreadView; onOpen?: ((t: ThreadView) => void) | undefined }) {
  return (
    <button type="button" class="thread-link" onClick={() => props.onOpen?.(props.thread)} data-testid="thread-link">
      <ThreadIcon />
      <b>{props.thread.title}</b>
      <span>
        {replies(props.thread)} {replies(props.thread) === 1 ? "message" : "messages"}
      </span>
      <Show when={props.thread.archived}>
        <span class="pill">archived</span>
      </Show>
      <span class="muted">{ago(props.thread.last_message_at ?? props.thread.created_at)}</span>
    </button>
  );
}
