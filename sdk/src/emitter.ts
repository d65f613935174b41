// A small typed event emitter (no Node `events`: the core must run in Workers and browsers).
import { MoltStackError } from "./errors";

export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const set = this.#listeners.get(event) ?? new Set<Listener<never>>();
    this.#listeners.set(event, set);
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (p) => {
      off();
      listener(p);
    });
    return off;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const l of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (l as Listener<Events[K]>)(payload);
      } catch (e) {
        // one listener's bug must not break the connection's state machine
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** The next `event` whose payload satisfies `match`; rejects with code `timeout` after `timeoutMs`. */
  waitFor<K extends keyof Events>(
    event: K,
    match: (p: Events[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new MoltStackError(`no ${String(event)} within ${timeoutMs} ms`, "timeout"));
      }, timeoutMs);
      const off = this.on(event, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
