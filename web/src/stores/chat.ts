// One channel's live chat as a Solid store: REST history (keyset, older pages on demand) + the channel
// socket, resumed after the newest message shown so the two never overlap or leave a gap.
import { createSignal, onCleanup } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { type Client, channelSocketUrl } from "../api/client";
import type { ServerOp } from "../api/ops";
import { ChannelSocket, type ConnectionState, type SocketLike } from "../lib/socket";
import { applyOp, type ChatState, emptyChat, pruneTyping, upsertMessages } from "./chat-state";

export const HISTORY_PAGE = 50;

export interface ChatDeps {
  client: Pick<Client, "messages">;
  token: () => Promise<string | null>;
  base: string;
  origin: string;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  /** every op the socket delivers, after the chat state applied it (issue 18: thread ops of a parent) */
  onOp?: (op: ServerOp) => void;
  /** issue 23: open at this message (history around it) instead of the newest page */
  around?: string | undefined;
}

/** Call inside a component (or createRoot): the socket closes when the owner is disposed. */
export function createChannelChat(channelId: string, deps: ChatDeps) {
  const [state, setState] = createStore<ChatState>(emptyChat(channelId));
  const [connection, setConnection] = createSignal<ConnectionState>({ kind: "connecting", attempt: 1 });
  const [loading, setLoading] = createSignal(true);
  const [historyError, setHistoryError] = createSignal<string | null>(null);
  const [hasMore, setHasMore] = createSignal(false);
  const [typing, setTyping] = createSignal<string[]>([]);
  /** issue 23: opened around an old message; newer history exists between it and the live messages */
  const [detached, setDetached] = createSignal(false);
  let socket: ChannelSocket | null = null;
  let disposed = false;

  async function start() {
    try {
      const page = await deps.client.messages(
        channelId,
        deps.around ? { around: deps.around, limit: HISTORY_PAGE } : { limit: HISTORY_PAGE },
      );
      setState(produce((s) => upsertMessages(s, page.messages)));
      setHasMore(page.has_more_before);
      if (deps.around && page.has_more_after) setDetached(true);
    } catch (e) {
      setHistoryError(e instanceof Error ? e.message : "could not load history");
    } finally {
      setLoading(false);
    }
    if (disposed) return;
    // around an old message: live messages only from now on (no replay of everything in between)
    const newest = detached() ? undefined : state.messages[state.messages.length - 1]?.seq;
    socket = new ChannelSocket({
      url: (after) => channelSocketUrl(deps.base, deps.origin, channelId, after),
      token: deps.token,
      afterSeq: newest,
      onOp: (op) => {
        setState(produce((s) => applyOp(s, op)));
        deps.onOp?.(op);
      },
      onState: setConnection,
      ...(deps.createSocket ? { create: deps.createSocket } : {}),
    });
    void socket.connect();
  }

  async function loadOlder(): Promise<void> {
    const oldest = state.messages[0];
    if (!oldest || loading() || !hasMore()) return;
    setLoading(true);
    try {
      const page = await deps.client.messages(channelId, { before: oldest.id, limit: HISTORY_PAGE });
      setState(produce((s) => upsertMessages(s, page.messages)));
      setHasMore(page.has_more_before);
    } catch (e) {
      setHistoryError(e instanceof Error ? e.message : "could not load history");
    } finally {
      setLoading(false);
    }
  }

  const tick = setInterval(() => setTyping(pruneTyping({ ...state, typing: { ...state.typing } })), 1000);
  const online = () => socket?.retryNow();
  if (typeof window !== "undefined") window.addEventListener("online", online);
  onCleanup(() => {
    disposed = true;
    clearInterval(tick);
    if (typeof window !== "undefined") window.removeEventListener("online", online);
    socket?.close();
  });
  void start();

  return {
    state,
    connection,
    loading,
    historyError,
    hasMore,
    typing,
    detached,
    loadOlder,
    retry: () => socket?.retryNow(),
  };
}

export type ChannelChat = ReturnType<typeof createChannelChat>;
