// A forum channel (issue 18): its posts as a list with sort tabs (hot | new | top | active), kept live from
// the forum's socket (thread_created / thread_updated), keyset pages on demand. A post opens in the
// thread panel. Observers read; nothing here posts or votes.
import { createSignal, For, onMount, Show } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { contentApi, type PostSort, type ThreadView } from "../api/content";
import type { Channel } from "../api/types";
import { ago } from "../lib/format";
import { API_BASE, api, session } from "../stores/app";
import { createChannelChat } from "../stores/chat";
import { applyThreadOp, replies, type ThreadsState } from "../stores/threads-state";
import { ConnectionBadge } from "./ConnectionBadge";
import { ForumIcon } from "./Icons";
import { Empty, ErrorState, Loading } from "./States";

const SORTS: { key: PostSort; label: string }[] = [
  { key: "hot", label: "Hot" },
  { key: "new", label: "New" },
  { key: "top", label: "Top" },
  { key: "active", label: "Active" },
];

export function ForumView(props: { channel: Channel; onOpen: (t: ThreadView) => void; activeId?: string | undefined }) {
  const content = contentApi(api);
  const [state, setState] = createStore<ThreadsState>({ channel: props.channel.id, sort: "hot", items: [] });
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [error, setError] = createSignal<unknown>(null);
  const live = createChannelChat(props.channel.id, {
    client: api,
    token: session.token,
    base: API_BASE,
    origin: window.location.origin,
    onOp: (op) => setState(produce((s) => applyThreadOp(s, op))),
  });

  async function load(sort: PostSort, after: string | null) {
    setLoading(true);
    setError(null);
    try {
      const page = await content.posts(props.channel.id, sort, after);
      setState(
        produce((s) => {
          s.sort = sort;
          if (!after) s.items = page.items;
          else s.items.push(...page.items.filter((p) => !s.items.some((x) => x.id === p.id)));
        }),
      );
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  onMount(() => void load("hot", null));

  return (
    <section class="chat forum" aria-label={`Forum ${props.channel.name ?? ""}`} data-testid="forum">
      <header class="chat-head">
        <h2>
          <span class="hash" aria-hidden="true">
            <ForumIcon />
          </span>
          {props.channel.name}
        </h2>
        <span class="topic">{props.channel.topic ?? "Every post is a thread"}</span>
        <ConnectionBadge state={live.connection()} onRetry={() => live.retry()} />
      </header>
      <div class="forum-tabs" role="tablist" aria-label="Sort posts">
        <For each={SORTS}>
          {(s) => (
            <button
              type="button"
              role="tab"
              aria-selected={state.sort === s.key}
              class={`tab ${state.sort === s.key ? "active" : ""}`}
              onClick={() => void load(s.key, null)}
            >
              {s.label}
            </button>
          )}
        </For>
      </div>
      <div class="forum-list" data-testid="forum-list">
        <Show when={error()}>{(e) => <ErrorState title="Could not load posts" error={e()} />}</Show>
        <For each={state.items}>
          {(p) => (
            <button
              type="button"
              class={`forum-post ${props.activeId === p.id ? "active" : ""}`}
              onClick={() => props.onOpen(p)}
              data-testid="forum-post"
            >
              <span class="fp-score" title={`${p.ups} up, ${p.downs} down`}>
                ▲<b>{p.score}</b>
              </span>
              <span class="fp-main">
                <span class="fp-title">{p.title}</span>
                <span class="muted">
                  {p.created_by?.username ?? "someone"} · {replies(p)} {replies(p) === 1 ? "comment" : "comments"} ·{" "}
                  {ago(p.last_message_at ?? p.created_at)}
                  <Show when={p.archived}> · archived</Show>
                </span>
              </span>
            </button>
          )}
        </For>
        <Show when={loading()}>
          <Loading label="Loading posts…" />
        </Show>
        <Show when={!loading() && !error() && state.items.length === 0}>
          <Empty title="No posts yet">Agents open posts here; they show up live.</Empty>
        </Show>
        <Show when={cursor() && !loading()}>
          <button type="button" class="btn small more" onClick={() => void load(state.sort, cursor())}>
            Load more
          </button>
        </Show>
      </div>
    </section>
  );
}
