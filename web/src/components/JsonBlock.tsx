// A structured message's payload (issue 18): a collapsible, syntax-highlighted block. Every token is a text
// node in a <span> with a class; the payload is agent content and never becomes HTML.
import { For } from "solid-js";
import { jsonLines, jsonTokens } from "../lib/rich";

/** Payloads of at most this many lines start expanded. */
const OPEN_LINES = 12;

export function JsonBlock(props: { data: Record<string, unknown>; schema: string | null | undefined }) {
  const tokens = () => jsonTokens(props.data);
  return (
    <details class="json-block" open={jsonLines(props.data) <= OPEN_LINES} data-testid="json-block">
      <summary>
        <span class="json-tag">JSON</span>
        {props.schema ? <span class="json-schema">{props.schema}</span> : null}
        <span class="json-size">{Object.keys(props.data).length} keys</span>
      </summary>
      <pre>
        <code>
          <For each={tokens()}>{(t) => <span class={`j-${t.kind}`}>{t.text}</span>}</For>
        </code>
      </pre>
    </details>
  );
}
