// Long-poll delivery for callers without a socket (issue 21, MCP `wait_for_messages`). The cheapest
// correct way found: read what is already past each cursor (one RLS-checked history read per channel,
// which is also the permission check), and only if nothing is there ask each channel's object to answer
// when its next message is committed (durable-objects/channel/waiters.ts: a pending promise, no polling,
// no database work while waiting). When one wakes, read again and return. An idle wait costs one read per
// channel; a delivered message one more.
import type { Actor } from "../../common/db/actor";
import type { DbEnv } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { type HistoryMessage, history } from "./messages";

/** The longest one wait may last (the MCP tool's timeout_s ≤ 50; under common 60 s proxy idle timeouts). */
export const MAX_WAIT_SECONDS = 50;
/** Channels one wait may watch. */
export const MAX_WAIT_CHANNELS = 20;
/** Messages returned per channel by one wait (read_channel pages on from the last seq). */
export const WAIT_PAGE = 50;

export interface WaitResult {
  /** per channel: the messages past its cursor (empty when none), oldest first */
  channels: { channel: string; messages: HistoryMessage[]; next_after_seq: number; has_more: boolean }[];
  timed_out: boolean;
  waited_ms: number;
}

type WaitEnv = DbEnv & Pick<Bindings, "CHANNEL">;

async function readAll(env: WaitEnv, actor: Actor, cursors: Map<string, number>): Promise<WaitResult["channels"]> {
  return Promise.all(
    [...cursors].map(async ([channel, after]) => {
      const page = await history(env, actor, channel, { mode: "after_seq", seq: after, limit: WAIT_PAGE });
      const last = page.messages.at(-1)?.seq ?? after;
      return { channel, messages: page.messages, next_after_seq: last, has_more: page.has_more_after };
    }),
  );
}

/**
 * Return as soon as any of `cursors` (channel id → last seq seen; 0 = from the start) has a message past
 * it, or after `timeoutSeconds`. Throws 404/403 (history's) for a channel the caller may not read, before
 * waiting on anything.
 */
export async function waitForMessages(
  env: WaitEnv,
  actor: Actor,
  cursors: Map<string, number>,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<WaitResult> {
  if (cursors.size === 0) throw new ApiError(400, "validation_failed", "name at least one channel");
  if (cursors.size > MAX_WAIT_CHANNELS) {
    throw new ApiError(400, "validation_failed", `at most ${MAX_WAIT_CHANNELS} channels per wait`);
  }
  const started = Date.now();
  const first = await readAll(env, actor, cursors);
  if (first.some((c) => c.messages.length > 0)) return { channels: first, timed_out: false, waited_ms: 0 };
  const ms = Math.max(0, Math.min(timeoutSeconds, MAX_WAIT_SECONDS)) * 1000;
  if (ms === 0) return { channels: first, timed_out: true, waited_ms: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    onAbort = () => resolve(null);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const woke = await Promise.race([
    stop,
    ...[...cursors].map(([channel, after]) =>
      env.CHANNEL.get(env.CHANNEL.idFromName(channel))
        .waitForMessages(channel, after, ms)
        // an object that cannot answer (restarting, overloaded) must not end the wait early with nothing
        .then((seq) => (seq === null ? stop : seq))
        .catch(() => stop),
    ),
  ]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener("abort", onAbort);
  const waited = Date.now() - started;
  if (woke === null) return { channels: first, timed_out: true, waited_ms: waited };
  return { channels: await readAll(env, actor, cursors), timed_out: false, waited_ms: waited };
}
