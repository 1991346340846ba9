/**
 * Results kept until the database changes: every write the dashboard could show goes through the outbox, whose
 * trigger notifies the live channel, and any notification (or a lost listening connection) drops everything kept. A
 * result whose computation was overtaken by a notification is handed to its callers but not kept, since its snapshot
 * may predate the change. Concurrent asks for one key share one computation.
 */
import type { NotifyFeed } from './notify-feed.ts';

export interface ChangeCache<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
  close(): void;
}

export async function createChangeCache<T>(feed: NotifyFeed | undefined, maxEntries: number): Promise<ChangeCache<T>> {
  // Without notifications nothing could be kept safely.
  if (!feed) return { get: (_key, compute) => compute(), close: () => {} };
  const kept = new Map<string, Promise<T>>();
  let generation = 0;
  const unsubscribe = await feed.subscribe('', () => {
    generation++;
    kept.clear();
  });
  return {
    get(key, compute) {
      const hit = kept.get(key);
      if (hit) {
        // Most recently used last, so the oldest goes first when full.
        kept.delete(key);
        kept.set(key, hit);
        return hit;
      }
      const started = generation;
      const value = compute();
      kept.set(key, value);
      if (kept.size > maxEntries) kept.delete(kept.keys().next().value as string);
      const drop = () => {
        if (kept.get(key) === value) kept.delete(key);
      };
      value.then(() => generation !== started && drop(), drop);
      return value;
    },
    close: unsubscribe,
  };
}
