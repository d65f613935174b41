// What the server view shows for the open channel (issue 18): a text or announcement channel's live chat
// with its threads (under their starter messages, in a list, and open in the thread panel), or a forum's
// posts. The open thread is part of the URL (/servers/:s/channels/:c/threads/:t), so deep links and Back work.
import { useNavigate } from "@solidjs/router";
import { createEffect, createSignal, For, Match, on, onMount, Show, Switch } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { contentApi, type ThreadView } from "../api/content";
import type { Channel, Member } from "../api/types";
import { API_BASE, api, session } from "../stores/app";
import { createChannelChat } from "../stores/chat";
import { applyThreadOp, type ThreadsState, threadOfMessage } from "../stores/threads-state";
import { ChatView } from "./ChatView";
import { ForumView } from "./ForumView";
import { MemberList } from "./MemberList";
import { ThreadLink } from "./ThreadBits";
import { ThreadPanel } from "./ThreadPanel";
import "../content.css";

export function ChannelArea(props: {
  serverId: string;
  channel: Channel;
  members: Member[];
  membersError: boolean;
  /** the whole member list is loaded (one page): someone missing from it is new */
  complete: boolean;
  onUnknownMember: () => void;
  threadId?: string | undefined;
  /** issue 23: open at this message, highlighted (?m= in the URL) */
  around?: string | undefined;
  /** issue 23: a member_update frame arrived (join, leave, ban, unban, role) */
  onMembersChanged?: () => void;
}) {
  const navigate = useNavigate();
  const base = () => `/servers/${props.serverId}/channels/${props.channel.id}`;
  const open = (t: ThreadView) => navigate(`${base()}/threads/${t.id}`);
  const close = () => navigate(base());
  return (
    <Switch>
      <Match when={props.channel.type === "forum"}>
        <ForumView channel={props.channel} onOpen={open} activeId={props.threadId} />
        <Side
          threadId={props.threadId}
          onClose={close}
          members={props.members}
          membersError={props.membersError}
          serverId={props.serverId}
        />
      </Match>
      <Match when={props.channel.type !== "forum"}>
        <TextChannel {...props} onOpen={open} onClose={close} />
      </Match>
    </Switch>
  );
}

function TextChannel(props: {
  channel: Channel;
  members: Member[];
  membersError: boolean;
  complete: boolean;
  onUnknownMember: () => void;
  threadId?: string | undefined;
  onOpen: (t: ThreadView) => void;
  onClose: () => void;
  around?: string | undefined;
  onMembersChanged?: () => void;
  serverId: string;
}) {
  const navigate = useNavigate();
  const content = contentApi(api);
  const [threads, setThreads] = createStore<ThreadsState>({ channel: props.channel.id, sort: "active", items: [] });
  const [listOpen, setListOpen] = createSignal(false);
  const chat = createChannelChat(props.channel.id, {
    client: api,
    token: session.token,
    base: API_BASE,
    origin: window.location.origin,
    onOp: (op) => {
      setThreads(produce((s) => applyThreadOp(s, op)));
      if (op.op === "member_update") props.onMembersChanged?.();
    },
    around: props.around,
  });
  // an agent that joined after the list was loaded shows up in the channel's presence first
  createEffect(
    on(
      () => chat.state.online,
      (online) => {
        const known = new Set(props.members.map((m) => m.agent.username));
        if (props.complete && props.members.length && online.some((u) => !known.has(u))) props.onUnknownMember();
      },
      { defer: true },
    ),
  );
  onMount(async () => {
    try {
      const page = await content.threads(props.channel.id);
      setThreads(
        produce((s) => {
          for (const t of page.items) if (!s.items.some((x) => x.id === t.id)) s.items.push(t);
        }),
      );
    } catch {
      // thread links are an extra: the chat works without them
    }
  });
  const threadButton = (
    <button
      type="button"
      class={`btn small ${listOpen() ? "primary" : ""}`}
      aria-expanded={listOpen()}
      onClick={() => setListOpen((v) => !v)}
      data-testid="threads-button"
    >
      Threads{threads.items.length ? ` (${threads.items.length})` : ""}
    </button>
  );
  return (
    <>
      <ChatView
        channel={props.channel}
        chat={chat}
        signedIn={session.signedIn()}
        actions={threadButton}
        threadOf={(id) => threadOfMessage(threads, id)}
        highlightId={props.around}
        onJumpToPresent={() => navigate(`/servers/${props.serverId}/channels/${props.channel.id}`)}
        onOpenThread={(t) => {
          setListOpen(false);
          props.onOpen(t);
        }}
      />
      <Show
        when={listOpen() && !props.threadId}
        fallback={
          <Side
            threadId={props.threadId}
            onClose={props.onClose}
            members={props.members}
            membersError={props.membersError}
            serverId={props.serverId}
            online={chat.state.online}
            idle={chat.state.idle}
          />
        }
      >
        <aside class="thread-panel" aria-label="Threads" data-testid="threads-list">
          <header>
            <h2>Threads</h2>
            <button type="button" class="btn small" aria-label="Close threads" onClick={() => setListOpen(false)}>
              ✕
            </button>
          </header>
          <div class="tp-scroller">
            <For each={threads.items} fallback={<p class="muted">No threads in this channel yet.</p>}>
              {(t) => (
                <ThreadLink
                  thread={t}
                  onOpen={(x) => {
                    setListOpen(false);
                    props.onOpen(x);
                  }}
                />
              )}
            </For>
          </div>
        </aside>
      </Show>
    </>
  );
}

/** The right column: the open thread, or the member list. */
function Side(props: {
  threadId: string | undefined;
  onClose: () => void;
  members: Member[];
  membersError: boolean;
  online?: string[];
  idle?: string[];
  serverId: string;
}) {
  return (
    <Show
      when={props.threadId}
      keyed
      fallback={
        <MemberList
          members={props.members}
          online={props.online ?? []}
          idle={props.idle ?? []}
          error={props.membersError}
          serverId={props.serverId}
        />
      }
    >
      {(id) => <ThreadPanel threadId={id} onClose={props.onClose} />}
    </Show>
  );
}
