/**
 * Results kept until the database changes: every write the dashboard could show goes through the outbox, whose
 * trigger notifies the live channel, and any notification (or a lost listening connection) drops everything kept. A
 * result whose computation was overtaken by a notification is handed to its callers but not kept, since its snapshot
 * may predate the change. Concurrent asks for one key share one computation.
 *
 * A result read within the last `refreshWithinMs` is computed again in the background `refreshDelayMs` after the
 * notification that dropped it (further notifications in between are coalesced), so the next reader (an open page
 * re-reading on the change, or an operator opening it) joins a computation already under way or finds it done
 * instead of starting a cold one. A key whose refresh would overlap its own earlier refresh still running waits for
 * it, so a burst of changes costs at most one computation in flight per key; readers never wait on that queue.
 */
import type { NotifyFeed } from './notify-feed.ts';

export interface ChangeCache<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
  close(): void;
}

export interface ChangeCacheOptions {
  /** Results read at most this long before a change are computed again after it (0: none). */
  refreshWithinMs?: number;
  /** How long after the first of a run of notifications the refresh starts. */
  refreshDelayMs?: number;
}

interface Entry<T> {
  value: Promise<T>;
  /** The generation its computation started in: kept only while that is still current. */
  generation: number;
}

interface Recent<T> {
  compute: () => Promise<T>;
  readAt: number;
  /** The latest computation of the key, settled or not (what a refresh waits for). */
  last: Promise<unknown>;
}

export async function createChangeCache<T>(
  feed: NotifyFeed | undefined,
  maxEntries: number,
  options: ChangeCacheOptions = {},
): Promise<ChangeCache<T>> {
  // Without notifications nothing could be kept safely.
  if (!feed) return { get: (_key, compute) => compute(), close: () => {} };
  const { refreshWithinMs = 0, refreshDelayMs = 20 } = options;
  const kept = new Map<string, Entry<T>>();
  const recent = new Map<string, Recent<T>>();
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const start = (key: string, compute: () => Promise<T>): Promise<T> => {
    const started = generation;
    const value = compute();
    const entry = { value, generation: started };
    kept.set(key, entry);
    if (kept.size > maxEntries) kept.delete(kept.keys().next().value as string);
    const drop = () => {
      if (kept.get(key) === entry) kept.delete(key);
    };
    value.then(() => generation !== started && drop(), drop);
    const r = recent.get(key);
    if (r) r.last = value;
    return value;
  };

  const refresh = () => {
    timer = undefined;
    const now = Date.now();
    for (const [key, r] of recent) {
      if (now - r.readAt > refreshWithinMs) {
        recent.delete(key);
        continue;
      }
      const at = generation;
      // After this key's previous computation, if it is still running; skipped when a reader (or a later change's
      // refresh) has started a computation of this generation meanwhile.
      void r.last
        .catch(() => {})
        .then(() => {
          if (closed || generation !== at || kept.get(key)?.generation === at) return;
          start(key, r.compute).catch(() => {});
        });
    }
  };

  const unsubscribe = await feed.subscribe('', () => {
    generation++;
    kept.clear();
    if (refreshWithinMs > 0 && recent.size > 0 && !timer) {
      timer = setTimeout(refresh, refreshDelayMs);
      timer.unref?.();
    }
  });
  return {
    get(key, compute) {
      if (refreshWithinMs > 0) {
        const r = recent.get(key);
        recent.delete(key);
        recent.set(key, { compute, readAt: Date.now(), last: r?.last ?? Promise.resolve() });
        if (recent.size > maxEntries) recent.delete(recent.keys().next().value as string);
      }
      const hit = kept.get(key);
      if (hit) {
        // Most recently used last, so the oldest goes first when full.
        kept.delete(key);
        kept.set(key, hit);
        return hit.value;
      }
      return start(key, compute);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
    },
  };
}
