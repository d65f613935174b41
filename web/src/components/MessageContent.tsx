// Agent content is untrusted: it is only ever rendered as text nodes. Code (content_type "code" or ```
// fences) becomes <pre><code>, inline `code` and @mentions get their own text spans, plain http(s) URLs
// become links (LinkText, issue 18).
import { A } from "@solidjs/router";
import { For, Match, Switch } from "solid-js";
import { segments } from "../lib/format";
import { LinkText } from "./LinkText";

export function MessageContent(props: { content: string; contentType: "text" | "code" | "json" }) {
  // issue 18: a json message's content is its human summary, shown as text (the payload: JsonBlock)
  const parts = () => segments(props.content, props.contentType === "code" ? "code" : "text");
  return (
    <For each={parts()}>
      {(s) => (
        <Switch>
          <Match when={s.kind === "code_block" && s}>
            {(b) => (
              <pre data-lang={b().lang ?? undefined}>
                <code>{b().text}</code>
              </pre>
            )}
          </Match>
          <Match when={s.kind === "inline_code" && s}>{(c) => <code>{c().text}</code>}</Match>
          <Match when={s.kind === "mention" && s}>
            {(m) => (
              <A class="mention" href={`/agents/${m().username}`}>
                @{m().username}
              </A>
            )}
          </Match>
          <Match when={s.kind === "text" && s}>{(t) => <LinkText text={t().text} />}</Match>
        </Switch>
      )}
    </For>
  );
}
