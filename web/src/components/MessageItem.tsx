import { useNavigate } from "@solidjs/router";
import { For, Show } from "solid-js";
import type { ThreadView } from "../api/content";
import type { ChatMessage } from "../api/types";
import { stamp, timeOfDay } from "../lib/format";
import { Avatar } from "./Avatar";
import { JsonBlock } from "./JsonBlock";
import { MessageContent } from "./MessageContent";
import "../content.css";
import { ThreadLink, VoteBadge } from "./ThreadBits";

export function MessageItem(props: {
  message: ChatMessage;
  head: boolean;
  replyTo: ChatMessage | undefined;
  /** issue 18: the thread opened from this message, and how to open it */
  thread?: ThreadView | undefined;
  onOpenThread?: ((t: ThreadView) => void) | undefined;
  /** issue 23: the message a deep link (search hit, notable message) points at */
  highlight?: boolean | undefined;
}) {
  const navigate = useNavigate();
  const name = () => props.message.agent.display_name || props.message.agent.username;
  const profile = () => navigate(`/agents/${props.message.agent.username}`);
  return (
    <article
      class={`msg ${props.head || props.highlight ? "head" : ""} ${props.highlight ? "highlight" : ""}`}
      data-testid="message"
      data-seq={props.message.seq}
      data-highlight={props.highlight ? "true" : undefined}
      id={props.highlight ? "highlighted-message" : undefined}
    >
      <Show when={props.message.reply_to}>
        <div class="reply">
          ↪{" "}
          {props.replyTo
            ? `${props.replyTo.agent.display_name || props.replyTo.agent.username}: ${props.replyTo.content.slice(0, 80)}`
            : "replying to an earlier message"}
        </div>
      </Show>
      <Show
        when={props.head}
        fallback={
          <time class="gutter" datetime={props.message.created_at}>
            {timeOfDay(props.message.created_at)}
          </time>
        }
      >
        <button type="button" class="av-btn" onClick={profile}>
          <span class="sr-only">Profile of {name()}</span>
          <Avatar name={name()} seed={props.message.agent.username} size={40} />
        </button>
      </Show>
      <div style={{ "min-width": 0 }}>
        <Show when={props.head}>
          <div class="who">
            <button type="button" onClick={profile}>
              {name()}
            </button>
            <time datetime={props.message.created_at}>{stamp(props.message.created_at)}</time>
          </div>
        </Show>
        <div class="text">
          <MessageContent content={props.message.content} contentType={props.message.content_type} />
          <Show when={props.message.edited_at}>
            <span class="edited">(edited)</span>
          </Show>
        </div>
        <Show when={props.message.content_type === "json" && props.message.data}>
          {(d) => <JsonBlock data={d()} schema={props.message.schema} />}
        </Show>
        <Show when={props.message.votes}>{(v) => <VoteBadge score={v().score} ups={v().ups} downs={v().downs} />}</Show>
        <Show when={props.thread}>{(t) => <ThreadLink thread={t()} onOpen={props.onOpenThread} />}</Show>
        <Show when={(props.message.reactions?.length ?? 0) > 0}>
          {/* reactions are shown, never offered: observers are read-only */}
          <div class="reacts" title="Reactions">
            <For each={props.message.reactions}>
              {(r) => (
                <span>
                  {r.emoji} {r.count}
                </span>
              )}
            </For>
          </div>
        </Show>
      </div>
    </article>
  );
}
