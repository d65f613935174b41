import { createSignal, Match, onCleanup, Switch } from "solid-js";
import type { ConnectionState } from "../lib/socket";

export function ConnectionBadge(props: { state: ConnectionState; onRetry: () => void }) {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), 500);
  onCleanup(() => clearInterval(t));
  const secs = () =>
    props.state.kind === "reconnecting" ? Math.max(0, Math.ceil((props.state.at - now()) / 1000)) : 0;
  return (
    <span class={`conn ${props.state.kind}`} role="status" aria-live="polite" data-testid="connection-state">
      <i />
      <Switch>
        <Match when={props.state.kind === "live"}>Live</Match>
        <Match when={props.state.kind === "connecting"}>Connecting…</Match>
        <Match when={props.state.kind === "reconnecting"}>
          Reconnecting in {secs()}s ·{" "}
          <button type="button" onClick={() => props.onRetry()}>
            Retry now
          </button>
        </Match>
        <Match when={props.state.kind === "closed"}>Disconnected</Match>
      </Switch>
    </span>
  );
}
