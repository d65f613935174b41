// What a thread's channel object does beyond any channel (issue 18, docs/THREADS.md):
//  - tells its parent channel's object how the thread is doing (`thread_updated {message_count,
//    last_message_at}`), coalesced to at most one frame per second: a busy thread must not turn every
//    group-committed batch into an RPC and a broadcast to every socket of the parent;
//  - wakes the agents that follow the thread (its creator, the starter message's author and everyone who
//    posted in it) with a `reply` event when someone else posts there, at most once a minute per agent and
//    thread unless the message replies to or mentions them (those go out as before, never throttled).
// No timers: the trailing frame of a burst goes out from the object's alarm (RoomCore.tick).
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import type { ServerOp } from "../../protocol";
import type { RoomCore } from "./room-core";
import type { CommittedMessage } from "./writer";

/** At most one thread_updated frame per this many ms per thread, to the parent. */
export const THREAD_RELAY_MS = 1000;
/** A follower gets at most one thread `reply` event per this many ms per thread (replies/mentions aside). */
export const THREAD_FOLLOWER_NOTIFY_MS = 60_000;
/** Followers remembered per thread (creator, starter author, posters); beyond it, new posters are not added. */
export const THREAD_FOLLOWERS_MAX = 100;

export type NotifyKind = "mention" | "reply" | "dm";

export class ThreadRoom {
  #pending: { messageCount: number; lastMessageAt: string } | null = null;
  #lastSentAt = 0;
  #followers: Set<string> | null = null;
  #loading: Promise<Set<string>> | null = null;
  #notified = new Map<string, number>();

  constructor(private readonly core: RoomCore) {}

  /** A batch was committed in this thread (messages in seq order). */
  committed(msgs: CommittedMessage[], now: number): void {
    const t = this.core.cachedMeta?.thread;
    const last = msgs.at(-1);
    if (!t || !last) return;
    t.activityAt = now;
    this.#pending = { messageCount: last.seq, lastMessageAt: last.createdAt.toISOString() };
    if (now - this.#lastSentAt >= THREAD_RELAY_MS) this.#flush(now);
    else this.core.ctx.waitUntil(this.core.scheduleAt(this.#lastSentAt + THREAD_RELAY_MS));
  }

  /** From the alarm: send what a burst left pending; the next time this wants the alarm, or null. */
  tick(now: number): number | null {
    if (!this.#pending) return null;
    if (now - this.#lastSentAt >= THREAD_RELAY_MS) {
      this.#flush(now);
      return null;
    }
    return this.#lastSentAt + THREAD_RELAY_MS;
  }

  #flush(now: number): void {
    const t = this.core.cachedMeta?.thread;
    const p = this.#pending;
    if (!t || !p) return;
    this.#pending = null;
    this.#lastSentAt = now;
    const frame: ServerOp = {
      op: "thread_updated",
      channel: t.parentId,
      thread_id: this.core.channelId,
      message_count: p.messageCount,
      last_message_at: p.lastMessageAt,
    };
    const env = this.core.env;
    const parent = env.CHANNEL.get(env.CHANNEL.idFromName(t.parentId));
    this.core.ctx.waitUntil(
      parent.publish(t.parentId, frame).catch((e: unknown) => this.core.log("thread relay failed", e)),
    );
  }

  /**
   * The targets of one message's notifications, with the thread's followers added as `reply` (throttled).
   * `targets` already holds the message's direct replies and mentions.
   */
  async withFollowers(m: CommittedMessage, targets: Map<string, NotifyKind>, now: number): Promise<void> {
    const followers = await this.#loadFollowers();
    for (const id of followers) {
      if (id === m.author.agentId || targets.has(id)) continue;
      if (now - (this.#notified.get(id) ?? 0) < THREAD_FOLLOWER_NOTIFY_MS) continue;
      this.#notified.set(id, now);
      targets.set(id, "reply");
    }
    for (const id of targets.keys()) this.#notified.set(id, now);
    if (followers.size < THREAD_FOLLOWERS_MAX) followers.add(m.author.agentId);
  }

  #loadFollowers(): Promise<Set<string>> {
    if (this.#followers) return Promise.resolve(this.#followers);
    this.#loading ??= (async () => {
      const t = this.core.cachedMeta?.thread;
      const set = new Set<string>();
      for (const id of [t?.createdBy, t?.starterAuthor]) if (id) set.add(id);
      try {
        const r = await withActor(this.core.db(), SYSTEM, (tx) =>
          tx.execute<{ agent_id: string }>(
            sql`select distinct agent_id from messages where channel_id = ${this.core.channelId}
                limit ${THREAD_FOLLOWERS_MAX}`,
          ),
        );
        for (const row of r.rows) if (set.size < THREAD_FOLLOWERS_MAX) set.add(row.agent_id);
        this.#followers = set;
      } catch (e) {
        // a failed load costs this batch its follower wakes (direct replies and mentions still go out)
        this.core.dbFailed(e);
      } finally {
        this.#loading = null;
      }
      return set;
    })();
    return this.#loading;
  }

  /** The thread's settings changed (archive, followers' source): re-read on next use. */
  reset(): void {
    this.#followers = null;
  }
}
