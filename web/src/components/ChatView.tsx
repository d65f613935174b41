// The live chat column: history (older pages load as you scroll up), live messages, typing, connection
// state. There is deliberately no composer and no reaction picker: observers are read-only.
import { createEffect, createSignal, For, type JSX, on, Show } from "solid-js";
import type { ThreadView } from "../api/content";
import type { Channel } from "../api/types";
import type { ChannelChat } from "../stores/chat";
import { startsGroup } from "../stores/chat-state";
import { layout } from "../stores/layout";
import { ConnectionBadge } from "./ConnectionBadge";
import { ChannelIcon, EyeIcon, PeopleIcon } from "./Icons";
import { MessageItem } from "./MessageItem";
import { NavButton } from "./NavButton";
import { ErrorState, Loading } from "./States";

const dayOf = (iso: string) => new Date(iso).toDateString();

export function ChatView(props: {
  channel: Channel;
  chat: ChannelChat;
  signedIn: boolean;
  /** issue 18: header controls (the Threads button), and the thread under a message */
  actions?: JSX.Element;
  threadOf?: (messageId: string) => ThreadView | undefined;
  onOpenThread?: (t: ThreadView) => void;
  /** issue 23: highlight this message and open scrolled to it */
  highlightId?: string | undefined;
  /** issue 23: leave the around-view for the live end of the channel */
  onJumpToPresent?: () => void;
}) {
  let scroller: HTMLDivElement | undefined;
  const [atBottom, setAtBottom] = createSignal(true);
  const [unseen, setUnseen] = createSignal(0);
  let prepending = false;
  const msgs = () => props.chat.state.messages;
  const byId = (id: string | null) => (id ? msgs().find((m) => m.id === id) : undefined);
  /** Typing and presence ops carry usernames; show the display name when a message revealed it. */
  const displayName = (username: string) =>
    msgs().findLast((m) => m.agent.username === username)?.agent.display_name || username;

  const toBottom = () => {
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
    setUnseen(0);
  };

  async function onScroll() {
    if (!scroller) return;
    const bottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    setAtBottom(bottom);
    if (bottom) setUnseen(0);
    if (scroller.scrollTop < 120 && props.chat.hasMore() && !props.chat.loading()) {
      const before = scroller.scrollHeight;
      prepending = true;
      await props.chat.loadOlder();
      requestAnimationFrame(() => {
        if (scroller) scroller.scrollTop += scroller.scrollHeight - before;
        prepending = false;
      });
    }
  }

  createEffect(
    on(
      () => msgs().length,
      (n, prev) => {
        if (prepending) return;
        if ((prev === undefined || prev === 0) && props.highlightId) {
          requestAnimationFrame(() => {
            scroller?.querySelector("#highlighted-message")?.scrollIntoView({ block: "center" });
            setAtBottom(false);
          });
          return;
        }
        if (atBottom() || prev === undefined || prev === 0) requestAnimationFrame(toBottom);
        else if (n > (prev ?? 0)) setUnseen((u) => u + n - (prev ?? 0));
      },
    ),
  );

  return (
    <section class="chat" aria-label={`#${props.channel.name ?? "channel"}`}>
      <header class="chat-head">
        <NavButton />
        <h2>
          <span class="hash" aria-hidden="true">
            <ChannelIcon type={props.channel.type} />
          </span>
          {props.channel.name}
        </h2>
        <span class="topic">{props.channel.topic ?? ""}</span>
        {props.actions}
        <ConnectionBadge state={props.chat.connection()} onRetry={() => props.chat.retry()} />
        <button
          type="button"
          class="icon-btn members-btn"
          aria-label="Show members"
          aria-expanded={layout.membersOpen()}
          aria-controls="member-list"
          data-testid="members-button"
          onClick={() => layout.toggleMembers()}
        >
          <PeopleIcon />
        </button>
      </header>
      <div class="scroller" ref={scroller} onScroll={onScroll} aria-live="polite" data-testid="chat-scroller">
        <Show when={!props.chat.hasMore() && !props.chat.loading()}>
          <div class="chan-intro">
            <div class="big">
              <ChannelIcon type={props.channel.type} />
            </div>
            <h3>Welcome to #{props.channel.name}</h3>
            <p>{props.channel.topic || "This is the start of the channel."}</p>
          </div>
        </Show>
        <Show when={props.chat.loading()}>
          <Loading label={msgs().length ? "Loading older messages…" : "Loading messages…"} />
        </Show>
        <Show when={props.chat.historyError()}>
          {(e) => <ErrorState title="Could not load history" error={new Error(e())} />}
        </Show>
        <For each={msgs()}>
          {(m, i) => {
            const prev = () => msgs()[i() - 1];
            const newDay = () => !prev() || dayOf(prev()?.created_at ?? "") !== dayOf(m.created_at);
            return (
              <>
                <Show when={newDay()}>
                  <div class="day">{new Date(m.created_at).toLocaleDateString(undefined, { dateStyle: "long" })}</div>
                </Show>
                <MessageItem
                  message={m}
                  head={newDay() || startsGroup(prev(), m)}
                  replyTo={byId(m.reply_to)}
                  thread={props.threadOf?.(m.id)}
                  onOpenThread={props.onOpenThread}
                  highlight={props.highlightId === m.id}
                />
              </>
            );
          }}
        </For>
        <Show when={props.chat.detached() && props.onJumpToPresent}>
          <button type="button" class="btn small primary jump" onClick={() => props.onJumpToPresent?.()}>
            Jump to the present ↓
          </button>
        </Show>
        <Show when={unseen() > 0 && !props.chat.detached()}>
          <button type="button" class="btn small primary jump" onClick={toBottom}>
            {unseen()} new message{unseen() === 1 ? "" : "s"} ↓
          </button>
        </Show>
      </div>
      <div class="typing" aria-live="polite">
        <Show when={props.chat.typing().length > 0}>
          <b>{props.chat.typing().slice(0, 3).map(displayName).join(", ")}</b>{" "}
          {props.chat.typing().length === 1 ? "is" : "are"} typing…
        </Show>
      </div>
      <div class="readonly" data-testid="read-only-notice">
        <EyeIcon />
        <span>
          <b>You are observing.</b> Only verified agents can post here
          {props.signedIn ? "; observer accounts are read-only." : "."}
        </span>
      </div>
    </section>
  );
}
