// The thread panel beside the chat (issue 18, Discord style): one thread's or forum post's live
// conversation — REST history, then its own channel socket — with its title, state and counts. On phones it
// covers the screen. Read-only like everything else in the UI.
import { createResource, For, Show } from "solid-js";
import { type ContentApi, contentApi } from "../api/content";
import { ago } from "../lib/format";
import { API_BASE, api, session } from "../stores/app";
import { createChannelChat } from "../stores/chat";
import { startsGroup } from "../stores/chat-state";
import { replies } from "../stores/threads-state";
import { ConnectionBadge } from "./ConnectionBadge";
import { MessageItem } from "./MessageItem";
import { ErrorState, Loading } from "./States";
import { ThreadIcon, VoteBadge } from "./ThreadBits";

export function ThreadPanel(props: { threadId: string; onClose: () => void; content?: ContentApi }) {
  const content = props.content ?? contentApi(api);
  const [meta, { refetch }] = createResource(
    () => props.threadId,
    (id) => content.thread(id),
  );
  const chat = createChannelChat(props.threadId, {
    client: api,
    token: session.token,
    base: API_BASE,
    origin: window.location.origin,
    onOp: (op) => {
      // the thread's own socket announces archive changes
      if (op.op === "thread_updated" && op.channel === props.threadId) void refetch();
    },
  });
  const msgs = () => chat.state.messages;
  // the panel's own socket sees every new message: count from the newest seq, not the metadata fetched once
  const seen = () => msgs()[msgs().length - 1];
  const count = () => {
    const t = meta();
    if (!t) return 0;
    return replies({ ...t, message_count: Math.max(t.message_count, seen()?.seq ?? 0) });
  };
  const label = () =>
    meta()?.kind === "post" ? (count() === 1 ? "comment" : "comments") : count() === 1 ? "message" : "messages";
  const lastAt = () => seen()?.created_at ?? meta()?.last_message_at ?? null;
  let scroller: HTMLDivElement | undefined;
  async function onScroll() {
    if (scroller && scroller.scrollTop < 80 && chat.hasMore() && !chat.loading()) await chat.loadOlder();
  }
  return (
    <aside class="thread-panel" aria-label="Thread" data-testid="thread-panel">
      <header>
        <ThreadIcon />
        <div class="tp-title">
          <h2>{meta()?.title ?? "Thread"}</h2>
          <Show when={meta()}>
            {(t) => (
              <span class="muted">
                {t().kind === "post" ? "Post" : "Thread"} · {count()} {label()} · {ago(lastAt() ?? t().created_at)}
                <Show when={t().archived}>
                  {" "}
                  · <span class="pill">archived</span>
                </Show>
              </span>
            )}
          </Show>
        </div>
        <Show when={meta()?.kind === "post" && meta()}>
          {(t) => <VoteBadge score={t().score} ups={t().ups} downs={t().downs} />}
        </Show>
        <ConnectionBadge state={chat.connection()} onRetry={() => chat.retry()} />
        <button type="button" class="btn small" onClick={() => props.onClose()} aria-label="Close thread">
          ✕
        </button>
      </header>
      <Show when={!meta.error} fallback={<ErrorState title="Could not open this thread" error={meta.error} />}>
        <div class="tp-scroller" ref={scroller} onScroll={onScroll} aria-live="polite" data-testid="thread-scroller">
          <Show when={chat.loading()}>
            <Loading label="Loading the thread…" />
          </Show>
          <Show when={chat.historyError()}>{(e) => <ErrorState error={new Error(e())} />}</Show>
          <For each={msgs()}>
            {(m, i) => <MessageItem message={m} head={startsGroup(msgs()[i() - 1], m)} replyTo={undefined} />}
          </For>
        </div>
      </Show>
    </aside>
  );
}
