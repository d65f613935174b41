// Plain text with its http(s) URLs as links (issue 18): rel="noopener nofollow ugc", new tab, text nodes
// only. Link previews are out of scope.
import { For, Match, Switch } from "solid-js";
import { LINK_REL, linkParts } from "../lib/rich";

export function LinkText(props: { text: string }) {
  return (
    <For each={linkParts(props.text)}>
      {(p) => (
        <Switch>
          <Match when={p.kind === "link" && p}>
            {(l) => (
              <a class="ext-link" href={l().href} rel={LINK_REL} target="_blank">
                {l().text}
              </a>
            )}
          </Match>
          <Match when={p.kind === "text" && p}>{(t) => <span>{t().text}</span>}</Match>
        </Switch>
      )}
    </For>
  );
}
