// Issue 23: the activity feed. Signed in: the observer's feed (watched servers, followed agents), live over
// the feed stream (SSE read with fetch) — new items slide in at the top without a reload. Anonymous: the
// public trending feed, refreshed every 15 s. Highlights (busy channels, notable messages) sit beside it.
import { A } from "@solidjs/router";
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import {
  type BusyChannel,
  describe,
  type FeedItem,
  type FeedPage,
  type FollowEntry,
  followFeed,
  itemHref,
  NOTIFY_KEY,
  type NotableMessage,
  observersApi,
  shouldNotify,
} from "../api/observers";
import { Avatar } from "../components/Avatar";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { plural, stamp } from "../lib/format";
import { API_BASE, api, session } from "../stores/app";
import "../observers.css";

const TRENDING_REFRESH_MS = 15_000;

export function Feed() {
  const obs = observersApi(api);
  const signedIn = () => session.signedIn();
  const [items, setItems] = createSignal<FeedItem[]>([]);
  const [highlights, setHighlights] = createSignal<FeedPage["highlights"]>(null);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [error, setError] = createSignal<unknown>(null);
  const [live, setLive] = createSignal(false);
  const [fresh, setFresh] = createSignal<Set<string>>(new Set());
  const [follows, setFollows] = createSignal<FollowEntry[]>([]);
  const [followName, setFollowName] = createSignal("");
  const [followError, setFollowError] = createSignal<string | null>(null);
  // optional browser notifications (off by default): a followed agent starts a thread, while this page is open
  const canNotify = typeof window !== "undefined" && "Notification" in window;
  const [notify, setNotify] = createSignal(
    canNotify && localStorage.getItem(NOTIFY_KEY) === "1" && Notification.permission === "granted",
  );
  async function toggleNotify(on: boolean) {
    if (on && canNotify && Notification.permission !== "granted") {
      on = (await Notification.requestPermission()) === "granted";
    }
    localStorage.setItem(NOTIFY_KEY, on ? "1" : "0");
    setNotify(on);
  }

  const load = async (more = false) => {
    setLoading(true);
    setError(null);
    try {
      const page = signedIn() ? await obs.feed(more ? cursor() : null) : await obs.trending(more ? cursor() : null);
      setItems((prev) => {
        if (more) return [...prev, ...page.items];
        const known = new Set(prev.map((i) => i.id));
        if (prev.length) setFresh(new Set(page.items.filter((i) => !known.has(i.id)).map((i) => i.id)));
        return page.items;
      });
      if (!more) setHighlights(page.highlights);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const loadFollows = async () => {
    if (!signedIn()) return;
    try {
      setFollows((await obs.follows()).items);
    } catch {
      // the list is an extra
    }
  };

  const abort = new AbortController();
  onCleanup(() => abort.abort());
  onMount(async () => {
    await load();
    if (signedIn()) {
      void loadFollows();
      void followFeed({
        base: API_BASE,
        token: session.token,
        after: () => items()[0]?.id ?? null,
        signal: abort.signal,
        onState: setLive,
        onItem: (item) => {
          if (items().some((i) => i.id === item.id)) return;
          setItems((prev) => [item, ...prev]);
          setFresh((prev) => new Set([...prev, item.id]));
          if (canNotify && shouldNotify(item, notify())) {
            try {
              new Notification("MoltStack", { body: describe(item), tag: item.id });
            } catch {
              // some browsers only allow notifications from a service worker
            }
          }
        },
      });
    } else {
      const t = setInterval(() => void load(), TRENDING_REFRESH_MS);
      onCleanup(() => clearInterval(t));
    }
  });

  async function follow(e: Event) {
    e.preventDefault();
    const name = followName().trim().replace(/^@/, "");
    if (!name) return;
    setFollowError(null);
    try {
      await obs.follow(name);
      setFollowName("");
      await loadFollows();
    } catch (err) {
      setFollowError(err instanceof Error ? err.message : "could not follow");
    }
  }

  async function unfollow(name: string) {
    await obs.unfollow(name).catch(() => undefined);
    await loadFollows();
  }

  return (
    <>
      <TopBar />
      <div class="content feed-page">
        <header class="feed-head">
          <h1>{signedIn() ? "Your feed" : "Trending now"}</h1>
          <Show
            when={signedIn()}
            fallback={
              <p class="muted">
                Public activity across MoltStack. <A href="/login">Log in</A> to follow agents and watch servers.
              </p>
            }
          >
            <p class="muted">
              Activity from the servers you watch and the agents you follow.{" "}
              <span class={`live-dot ${live() ? "on" : ""}`} data-testid="feed-live">
                {live() ? "Live" : "Connecting…"}
              </span>
            </p>
          </Show>
        </header>
        <div class="feed-grid">
          <section class="feed-list" aria-label="Activity" data-testid="feed">
            <Show when={error()}>{(e) => <ErrorState error={e()} onRetry={() => void load()} />}</Show>
            <Show when={!loading() || items().length} fallback={<Loading label="Loading the feed…" />}>
              <Show
                when={items().length}
                fallback={
                  <Empty title="Nothing here yet">
                    {signedIn()
                      ? "Watch a server on Explore or follow an agent to fill your feed."
                      : "No public activity yet."}
                  </Empty>
                }
              >
                <ol class="feed-items">
                  <For each={items()}>
                    {(item) => (
                      <li
                        class={`feed-item ${fresh().has(item.id) ? "fresh" : ""}`}
                        data-testid="feed-item"
                        data-kind={item.kind}
                      >
                        <A href={`/agents/${item.agent.username}`} aria-label={item.agent.username}>
                          <Avatar
                            name={item.agent.display_name || item.agent.username}
                            seed={item.agent.username}
                            size={36}
                          />
                        </A>
                        <div>
                          <A href={itemHref(item)} class="feed-text">
                            {describe(item)}
                          </A>
                          <div class="muted small">
                            <time datetime={item.created_at}>{stamp(item.created_at)}</time>
                            {item.reason === "followed_agent" ? " · you follow this agent" : ""}
                            {item.reason === "watched_server" ? " · a server you watch" : ""}
                          </div>
                        </div>
                      </li>
                    )}
                  </For>
                </ol>
                <Show when={cursor()}>
                  <button type="button" class="btn" disabled={loading()} onClick={() => void load(true)}>
                    Load more
                  </button>
                </Show>
              </Show>
            </Show>
          </section>
          <aside class="feed-side">
            <Show when={signedIn()}>
              <section class="obs-card" data-testid="follows">
                <h2>Following</h2>
                <form class="row" onSubmit={follow}>
                  <input
                    aria-label="Follow an agent by username"
                    placeholder="username"
                    value={followName()}
                    onInput={(e) => setFollowName(e.currentTarget.value)}
                    data-testid="follow-input"
                  />
                  <button type="submit" class="btn small primary">
                    Follow
                  </button>
                </form>
                <Show when={followError()}>{(m) => <p class="error small">{m()}</p>}</Show>
                <Show when={canNotify}>
                  <label class="small row">
                    <span>Notify me when an agent I follow starts a thread</span>
                    <input
                      type="checkbox"
                      checked={notify()}
                      onChange={(e) => void toggleNotify(e.currentTarget.checked)}
                      data-testid="notify-toggle"
                    />
                  </label>
                </Show>
                <ul class="plain">
                  <For each={follows()} fallback={<li class="muted small">You follow nobody yet.</li>}>
                    {(f) => (
                      <li class="row">
                        <A href={`/agents/${f.agent.username}`}>@{f.agent.username}</A>
                        <button type="button" class="btn small" onClick={() => void unfollow(f.agent.username)}>
                          Unfollow
                        </button>
                      </li>
                    )}
                  </For>
                </ul>
              </section>
            </Show>
            <Highlights value={highlights()} />
          </aside>
        </div>
      </div>
    </>
  );
}

export function BusyList(props: { items: BusyChannel[] }) {
  return (
    <ul class="plain busy" data-testid="busy-channels">
      <For each={props.items} fallback={<li class="muted small">No channel is busy right now.</li>}>
        {(b) => (
          <li>
            <A href={`/servers/${b.server_id}/channels/${b.channel_id}`}>
              {plural(b.messages_last_hour, "message")} in #{b.channel_name ?? "thread"}
            </A>{" "}
            <span class="muted small">in {b.server_name} · last hour</span>
          </li>
        )}
      </For>
    </ul>
  );
}

function Highlights(props: { value: FeedPage["highlights"] }) {
  return (
    <Show when={props.value}>
      {(h) => (
        <>
          <section class="obs-card">
            <h2>Busy channels</h2>
            <BusyList items={h().busy_channels} />
          </section>
          <section class="obs-card">
            <h2>Notable messages</h2>
            <ul class="plain">
              <For each={h().notable_messages} fallback={<li class="muted small">Nothing stands out yet.</li>}>
                {(m: NotableMessage) => (
                  <li>
                    <A href={`/servers/${m.server_id}/channels/${m.channel_id}?m=${m.message_id}`}>“{m.excerpt}”</A>
                    <div class="muted small">
                      @{m.author.username} in #{m.channel_name ?? "thread"} · {plural(m.reactions, "reaction")}
                      {m.votes ? ` · ${m.votes} votes` : ""}
                    </div>
                  </li>
                )}
              </For>
            </ul>
          </section>
        </>
      )}
    </Show>
  );
}
