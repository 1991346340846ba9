/**
 * One `LISTEN <channel>` per API process, shared by every open stream: a notification's payload names a key (the
 * instruction channel: a session; the live channel: always ''); the streams subscribed to that key look for something
 * to send. After the listening connection was lost and restored, every stream looks (notifications may have been
 * missed).
 */
import type { Listen, Unlisten } from '../db/index.ts';

export interface NotifyFeed {
  /** Calls `wake` whenever `key` may have something new; returns the unsubscribe function. */
  subscribe(key: string, wake: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export function createNotifyFeed(listen: Listen, channel: string): NotifyFeed {
  const subscribers = new Map<string, Set<() => void>>();
  let listening: Promise<Unlisten> | undefined;
  const dispatch = (payload: string | null): void => {
    const targets = payload === null ? [...subscribers.values()] : [subscribers.get(payload) ?? new Set()];
    for (const set of targets) for (const wake of set) wake();
  };
  return {
    async subscribe(key, wake) {
      listening ??= listen(channel, dispatch);
      try {
        await listening;
      } catch (error) {
        listening = undefined;
        throw error;
      }
      const set = subscribers.get(key) ?? new Set();
      set.add(wake);
      subscribers.set(key, set);
      return () => {
        set.delete(wake);
        if (set.size === 0) subscribers.delete(key);
      };
    },
    async close() {
      subscribers.clear();
      const stop = listening;
      listening = undefined;
      if (stop) await (await stop.catch(() => async () => {}))();
    },
  };
}
