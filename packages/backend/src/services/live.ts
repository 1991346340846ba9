/**
 * One dashboard's live stream: the change-log events after where it starts — the `Last-Event-ID` it resumes from, or
 * the newest event for a new stream — sent in log order as the outbox trigger's notification (or, for events held
 * back behind a transaction still running, the next poll) says there is more. Reads never overlap; a wake during one
 * runs another right after it.
 */
import type { Db } from '../db/index.ts';
import {
  formatPosition,
  liveEventKept,
  liveHead,
  parsePosition,
  readLiveEvents,
  type LiveEvent,
  type LivePosition,
} from '../repositories/live-events.ts';
import type { NotifyFeed } from './notify-feed.ts';

const BATCH = 500;

/**
 * Reads just started, by database and position: the streams at the same place that one notification wakes share one
 * read. Only within that tick: a stream woken later must not take a read that started before what woke it.
 */
const reading = new WeakMap<Db, Map<string, Promise<LiveEvent[]>>>();

function readShared(db: Db, position: LivePosition | null): Promise<LiveEvent[]> {
  let inFlight = reading.get(db);
  if (!inFlight) reading.set(db, (inFlight = new Map()));
  const key = position ? formatPosition(position) : '';
  let read = inFlight.get(key);
  if (!read) {
    read = readLiveEvents(db, position, BATCH);
    inFlight.set(key, read);
    queueMicrotask(() => inFlight.delete(key));
  }
  return read;
}

export interface LiveStreamOptions {
  db: Db;
  feed: NotifyFeed;
  /** The `Last-Event-ID` of a reconnection, if any. */
  lastEventId?: string;
  /** Only events of this grid (and those whose grid is unknown, such as deletions). */
  gridUuid?: string;
  /** How often to look for events that a running transaction held back (ms). */
  pollMs: number;
  send(event: LiveEvent): void;
  onError(error: unknown): void;
}

export interface LiveStream {
  /** Where the stream started: after `start` (null: the log's beginning). */
  start: LivePosition | null;
  /**
   * `resumed`: from the reconnection's Last-Event-ID, nothing lost; `reset`: that event is no longer kept (or the id is
   * not one of ours), so events may have been missed — the client should reload what it shows; `new`: a new stream.
   */
  from: 'resumed' | 'reset' | 'new';
  /** Send what is there now (call once the stream's opening event is written; the feed and polls call it after). */
  wake(): void;
  close(): void;
}

export async function openLiveStream(opts: LiveStreamOptions): Promise<LiveStream> {
  const { db, gridUuid } = opts;
  const asked = opts.lastEventId ? parsePosition(opts.lastEventId) : undefined;
  // `0-0` is the start of a log that was empty when the stream opened.
  const resumed = asked !== undefined && (asked.id === 0 || (await liveEventKept(db, asked)));
  let position = resumed ? (asked.id === 0 ? null : asked) : await liveHead(db);
  const from = resumed ? 'resumed' : opts.lastEventId ? 'reset' : 'new';
  const start = position;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const read = async (): Promise<void> => {
    for (;;) {
      const events = await readShared(db, position);
      for (const event of events) {
        if (closed) return;
        position = event.position;
        if (!gridUuid || event.grid_uuid === null || event.grid_uuid === gridUuid) opts.send(event);
      }
      if (events.length < BATCH) return;
    }
  };
  const wake = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = read()
      .catch(opts.onError)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };

  const unsubscribe = await opts.feed.subscribe('', wake);
  const poll = setInterval(wake, opts.pollMs);
  poll.unref();
  return {
    start,
    from,
    wake,
    close() {
      closed = true;
      clearInterval(poll);
      unsubscribe();
    },
  };
}
