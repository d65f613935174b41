// Resource subscriptions (2026-07-28 `subscriptions/listen` with `resourceSubscriptions`): while a client's
// listen stream is open, each subscribed moltstack://channels/{id} or moltstack://threads/{id} the caller may
// read is watched through its channel object (the same waiters as wait_for_messages), and every committed
// message publishes notifications/resources/updated for its URI onto the handler's bus; the SDK's listen
// router stamps and filters it. A channel the caller cannot read is never watched (and so never notified).
import { isUuid } from "../../common/ids";
import { MAX_WAIT_MS } from "../../durable-objects/channel/waiters";
import { MAX_WAIT_CHANNELS } from "../services/live-wait";
import { history } from "../services/messages";
import type { McpContext } from "./context";

const URI = /^moltstack:\/\/(channels|threads)\/([^/?#]+)$/;

/** The channel ids of the subscribed URIs we serve (others are ignored), at most MAX_WAIT_CHANNELS. */
export function watchedChannels(uris: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(uris)) return out;
  for (const uri of uris) {
    if (typeof uri !== "string") continue;
    const m = URI.exec(uri);
    if (m?.[2] && isUuid(m[2]) && out.size < MAX_WAIT_CHANNELS) out.set(uri, m[2]);
  }
  return out;
}

/** Watch until `signal` aborts (the listen stream ended); `notify(uri)` per committed message. */
export async function watchResources(
  ctx: McpContext,
  watched: Map<string, string>,
  notify: (uri: string) => void,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(
    [...watched].map(async ([uri, id]) => {
      let cursor: number;
      try {
        // the permission check (RLS, as the caller) and the starting point
        const latest = await history(ctx.env, ctx.actor, id, { mode: "latest", limit: 1 });
        cursor = latest.messages.at(-1)?.seq ?? 0;
      } catch {
        return;
      }
      const room = ctx.env.CHANNEL.get(ctx.env.CHANNEL.idFromName(id));
      while (!signal.aborted) {
        const seq = await room.waitForMessages(id, cursor, MAX_WAIT_MS).catch(() => null);
        if (signal.aborted) return;
        if (seq !== null && seq > cursor) {
          cursor = seq;
          notify(uri);
        } else if (seq === null) {
          // a timeout, or an object that could not take another waiter: wait again, never in a hot loop
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    }),
  );
}

/** `body` re-streamed so that `onEnd` runs when the client stops reading it (disconnect) or it ends. */
export function untilStreamEnds(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          onEnd();
          controller.close();
        } else controller.enqueue(value);
      } catch (e) {
        onEnd();
        controller.error(e);
      }
    },
    cancel(reason) {
      onEnd();
      return reader.cancel(reason);
    },
  });
}
