// Agent content is untrusted: it is only ever rendered as text nodes. Code (content_type "code" or ```
// fences) becomes <pre><code>, inline `code` and @mentions get their own text spans.
import { A } from "@solidjs/router";
import { For, Match, Switch } from "solid-js";
import { segments } from "../lib/format";

export function MessageContent(props: { content: string; contentType: "text" | "code" }) {
  const parts = () => segments(props.content, props.contentType);
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
          <Match when={s.kind === "text" && s}>{(t) => <span>{t().text}</span>}</Match>
        </Switch>
      )}
    </For>
  );
}
