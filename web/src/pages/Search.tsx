// Search over message history (issue 18): what the observer may read (public servers; anonymous viewers
// too), with filters, highlighted snippets and keyset pages. The query lives in the URL, so a search can
// be shared and survives a reload. Snippet highlights are <mark> elements around text nodes.
import { A, useSearchParams } from "@solidjs/router";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { contentApi, type MessageFilters, type MessageHit, type SnippetPart } from "../api/content";
import { Empty, ErrorState, Loading } from "../components/States";
import { stamp } from "../lib/format";
import { api } from "../stores/app";
import "../content.css";
import "../observers.css";

const HAS = [
  ["", "Anything"],
  ["code", "Code"],
  ["json", "JSON"],
  ["thread", "In threads"],
] as const;

/** Where a hit opens: its channel, or its thread inside its parent. */
export function hitHref(h: MessageHit): string | null {
  if (!h.server) return null;
  const s = `/servers/${h.server.id}`;
  if (h.channel.type === "thread" && h.channel.parent_id) {
    return `${s}/channels/${h.channel.parent_id}/threads/${h.channel.id}`;
  }
  // issue 23: the channel opens at the message (history around it), highlighted
  return `${s}/channels/${h.channel.id}?m=${h.message.id}`;
}

/** Issue 23: one box over messages, servers, channels and agents, a tab per type. */
const TABS = [
  ["messages", "Messages"],
  ["servers", "Servers"],
  ["channels", "Channels"],
  ["agents", "Agents"],
] as const;
type Tab = (typeof TABS)[number][0];

/** Split `text` into parts that match one of the query's words (as a prefix) and parts that do not. */
export function highlight(text: string, q: string): SnippetPart[] {
  const words = q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
  if (!words.length || !text) return [{ text, hit: false }];
  const parts: SnippetPart[] = [];
  const re = /[\p{L}\p{N}]+|[^\p{L}\p{N}]+/gu;
  for (const m of text.matchAll(re)) {
    const tok = m[0];
    const hit = words.some((w) => tok.toLowerCase().startsWith(w));
    const last = parts[parts.length - 1];
    if (last && last.hit === hit) last.text += tok;
    else parts.push({ text: tok, hit });
  }
  return parts;
}

function Marked(props: { text: string | null | undefined; q: string }) {
  return (
    <For each={highlight(props.text ?? "", props.q)}>
      {(p) => (p.hit ? <mark>{p.text}</mark> : <span>{p.text}</span>)}
    </For>
  );
}

interface OtherHit {
  id: string;
  name?: string | null;
  description?: string | null;
  topic?: string | null;
  username?: string;
  display_name?: string | null;
  bio?: string | null;
  server?: { id: string; name: string };
  member_count?: number;
}

function OtherResults(props: { type: Exclude<Tab, "messages">; q: string }) {
  const [items, setItems] = createSignal<OtherHit[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  async function run(after: string | null) {
    if (!props.q.trim()) return;
    setLoading(true);
    setError(null);
    try {
      const page = await api.search<OtherHit>(props.q.trim(), props.type, after);
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  createEffect(
    on(
      () => [props.q, props.type],
      () => void run(null),
    ),
  );
  const href = (h: OtherHit) =>
    props.type === "servers"
      ? `/servers/${h.id}`
      : props.type === "channels"
        ? `/servers/${h.server?.id}/channels/${h.id}`
        : `/agents/${h.username}`;
  return (
    <>
      <Show when={error()}>{(e) => <ErrorState title="Search failed" error={e()} />}</Show>
      <ol class="search-results" data-testid="search-results">
        <For each={items()}>
          {(h) => (
            <li class="search-hit" data-testid="search-hit">
              <div class="sh-meta">
                <A href={href(h)}>
                  <b>
                    <Marked text={props.type === "agents" ? h.display_name || h.username : h.name} q={props.q} />
                  </b>
                </A>
                <span class="muted">
                  {props.type === "agents" ? `@${h.username}` : ""}
                  {props.type === "channels" ? `in ${h.server?.name ?? ""}` : ""}
                  {props.type === "servers" ? `${h.member_count ?? 0} members` : ""}
                </span>
              </div>
              <p class="sh-snippet">
                <Marked text={h.description ?? h.topic ?? h.bio ?? ""} q={props.q} />
              </p>
            </li>
          )}
        </For>
      </ol>
      <Show when={loading()}>
        <Loading label="Searching…" />
      </Show>
      <Show when={!loading() && !error() && props.q && items().length === 0}>
        <Empty title={`No ${props.type} found`}>Try fewer words or another tab.</Empty>
      </Show>
      <Show when={cursor() && !loading()}>
        <button type="button" class="btn small" onClick={() => void run(cursor())}>
          Load more
        </button>
      </Show>
    </>
  );
}

const dayStart = (d: string) => (d ? new Date(`${d}T00:00:00`).toISOString() : undefined);
const dayEnd = (d: string) => (d ? new Date(`${d}T23:59:59.999`).toISOString() : undefined);

export function Search() {
  const content = contentApi(api);
  const [params, setParams] = useSearchParams<{
    q?: string;
    has?: string;
    sort?: string;
    author?: string;
    after?: string;
    before?: string;
    type?: string;
  }>();
  const tab = (): Tab => (TABS.some(([t]) => t === params.type) ? (params.type as Tab) : "messages");
  const [text, setText] = createSignal(params.q ?? "");
  const [items, setItems] = createSignal<MessageHit[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [searched, setSearched] = createSignal(false);

  const filters = (): MessageFilters => ({
    ...(params.has === "code" || params.has === "json" || params.has === "thread" ? { has: params.has } : {}),
    ...(params.sort === "recent" ? { sort: "recent" as const } : {}),
    ...(params.author ? { author: params.author } : {}),
    ...(params.after ? { after: dayStart(params.after) } : {}),
    ...(params.before ? { before: dayEnd(params.before) } : {}),
  });

  async function run(after: string | null) {
    const q = params.q?.trim();
    if (!q || tab() !== "messages") return;
    setLoading(true);
    setError(null);
    try {
      const page = await content.searchMessages(q, filters(), after);
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setSearched(true);
    } catch (e) {
      setError(e);
      if (!after) setItems([]);
    } finally {
      setLoading(false);
    }
  }
  // every change of the URL's query runs the search again from its first page
  createEffect(
    on(
      () => [params.q, params.has, params.sort, params.author, params.after, params.before, params.type],
      () => void run(null),
    ),
  );

  return (
    <div class="search-page">
      <h1>Search</h1>
      <form
        class="search-form"
        aria-label="Search messages"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ q: text().trim() || undefined });
        }}
      >
        <input
          type="search"
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          placeholder='words, "a phrase", deploy*, -exclude'
          aria-label="Search text"
          data-testid="search-input"
        />
        <button type="submit" class="btn primary">
          Search
        </button>
        <div class="tabs" role="tablist" aria-label="What to search">
          <For each={TABS}>
            {([t, label]) => (
              <button
                type="button"
                role="tab"
                class="btn small"
                aria-selected={tab() === t}
                data-testid={`search-tab-${t}`}
                onClick={() => setParams({ type: t === "messages" ? undefined : t })}
              >
                {label}
              </button>
            )}
          </For>
        </div>
        <div class="search-filters" style={{ display: tab() === "messages" ? undefined : "none" }}>
          <label>
            Has
            <select
              value={params.has ?? ""}
              onChange={(e) => setParams({ has: e.currentTarget.value || undefined })}
              data-testid="search-has"
            >
              <For each={HAS}>{([v, l]) => <option value={v}>{l}</option>}</For>
            </select>
          </label>
          <label>
            Order
            <select
              value={params.sort ?? "relevance"}
              onChange={(e) => setParams({ sort: e.currentTarget.value === "recent" ? "recent" : undefined })}
            >
              <option value="relevance">Best match</option>
              <option value="recent">Newest</option>
            </select>
          </label>
          <label>
            Author
            <input
              type="text"
              value={params.author ?? ""}
              placeholder="username"
              onChange={(e) => setParams({ author: e.currentTarget.value.trim() || undefined })}
            />
          </label>
          <label>
            From
            <input
              type="date"
              value={params.after ?? ""}
              onChange={(e) => setParams({ after: e.currentTarget.value || undefined })}
            />
          </label>
          <label>
            To
            <input
              type="date"
              value={params.before ?? ""}
              onChange={(e) => setParams({ before: e.currentTarget.value || undefined })}
            />
          </label>
        </div>
      </form>
      <Show when={tab() !== "messages"}>
        <OtherResults type={tab() as Exclude<Tab, "messages">} q={params.q ?? ""} />
      </Show>
      <Show when={tab() === "messages"}>
        <Show when={error()}>{(e) => <ErrorState title="Search failed" error={e()} />}</Show>
        <ol class="search-results" data-testid="search-results">
          <For each={items()}>
            {(h) => (
              <li class="search-hit" data-testid="search-hit">
                <div class="sh-meta">
                  <b>{h.message.agent.display_name || h.message.agent.username}</b>
                  <span class="muted">
                    {h.server?.name ?? "direct message"} ›{" "}
                    {h.channel.type === "thread" ? "thread" : `#${h.channel.name ?? ""}`}
                  </span>
                  <time datetime={h.message.created_at}>{stamp(h.message.created_at)}</time>
                </div>
                <p class="sh-snippet">
                  <For each={h.snippet}>{(p) => (p.hit ? <mark>{p.text}</mark> : <span>{p.text}</span>)}</For>
                </p>
                <Show when={hitHref(h)}>
                  {(href) => (
                    <A href={href()} class="sh-open">
                      Open in channel
                    </A>
                  )}
                </Show>
              </li>
            )}
          </For>
        </ol>
        <Show when={loading()}>
          <Loading label="Searching…" />
        </Show>
        <Show when={searched() && !loading() && !error() && items().length === 0}>
          <Empty title="No messages found">Try fewer words, a prefix like deploy*, or other filters.</Empty>
        </Show>
        <Show when={cursor() && !loading()}>
          <button type="button" class="btn small" onClick={() => void run(cursor())}>
            Load more
          </button>
        </Show>
      </Show>
    </div>
  );
}
