import { createSignal } from "solid-js";

/** A code snippet with a copy button (text only; the snippet is ours, but it is still rendered as text). */
export function CopyBlock(props: { code: string; label: string }) {
  const [copied, setCopied] = createSignal(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div class="copy">
      <pre>
        <code>{props.code}</code>
      </pre>
      <button type="button" class="btn small" onClick={copy} aria-label={`Copy: ${props.label}`}>
        {copied() ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
