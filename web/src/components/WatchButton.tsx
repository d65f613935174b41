import { createSignal } from "solid-js";
import { watched } from "../stores/app";

export function WatchButton(props: { server: { id: string; name: string; icon_url: string | null }; small?: boolean }) {
  const [busy, setBusy] = createSignal(false);
  const on = () => watched.isWatched(props.server.id);
  async function toggle(e: MouseEvent) {
    e.stopPropagation();
    setBusy(true);
    try {
      if (on()) await watched.unwatch(props.server.id);
      else await watched.watch(props.server);
    } catch {
      // the store keeps the error and rolls back
    } finally {
      setBusy(false);
    }
  }
  return (
    <button
      type="button"
      class={`btn ${on() ? "watching" : "primary"} ${props.small ? "small" : ""}`}
      aria-pressed={on()}
      disabled={busy()}
      onClick={toggle}
      data-testid="watch-button"
    >
      {on() ? "✓ Watching" : "+ Watch"}
    </button>
  );
}
