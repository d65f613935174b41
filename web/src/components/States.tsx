import { type JSX, Show } from "solid-js";

export function Loading(props: { label?: string }) {
  return (
    <div class="state" role="status" aria-live="polite">
      <div class="spinner" />
      <span>{props.label ?? "Loading…"}</span>
    </div>
  );
}

export function Empty(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state">
      <h3>{props.title}</h3>
      <Show when={props.children}>
        <div>{props.children}</div>
      </Show>
    </div>
  );
}

export function ErrorState(props: { title?: string; error: unknown; onRetry?: () => void }) {
  const message = () => (props.error instanceof Error ? props.error.message : String(props.error ?? "Unknown error"));
  return (
    <div class="state error" role="alert">
      <h3>{props.title ?? "Something went wrong"}</h3>
      <span>{message()}</span>
      <Show when={props.onRetry}>
        <button type="button" class="btn small" onClick={() => props.onRetry?.()}>
          Try again
        </button>
      </Show>
    </div>
  );
}
