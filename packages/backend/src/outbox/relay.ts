import { inArray, isNull, sql } from 'drizzle-orm';
import type { Logger } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { outbox } from '../db/schema.ts';
import type { Bus, BusMessage } from '../bus/types.ts';

export interface OutboxRelay {
  /** A commit wrote outbox rows: publish soon (ignored while backing off after a broker failure). */
  wake(): void;
  /** Publish everything pending now; rejects with the broker's error if some rows could not be published. */
  flush(): Promise<void>;
  /** Stop polling and wait for the batch in progress. Call `flush()` first to publish what is left. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * Publishes outbox rows in id order, in batches: takes unpublished rows (`FOR UPDATE SKIP LOCKED`, so several API
 * replicas and workers can relay at once), publishes them through the bus with publisher confirms, sets
 * `published_at`. A failed publish leaves the rows (attempts + 1, last_error) and retries with exponential backoff; a
 * poll every `pollMs` picks up rows whose wake-up was missed (other replicas, a broker that came back).
 */
export function startOutboxRelay(opts: { db: Db; bus: Bus; log: Logger; pollMs?: number; batchSize?: number }): OutboxRelay {
  const { db, bus, log } = opts;
  const pollMs = opts.pollMs ?? 500;
  const batchSize = opts.batchSize ?? 500;
  // PGlite has one connection: a transaction held across a publish would stall every API request, and only one
  // process can open its directory, so there is no other relay to lock rows against.
  const lockRows = !isPglite(db);

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  let stopped = false;

  /** One batch: publish and mark. Returns the number of rows published; throws the publish error. */
  async function publishBatch(): Promise<number> {
    const claim = async (tx: Db): Promise<number> => {
      const base = tx
        .select({ id: outbox.id, payload: outbox.payload })
        .from(outbox)
        .where(isNull(outbox.published_at))
        .orderBy(outbox.id)
        .limit(batchSize);
      const rows = lockRows ? await base.for('update', { skipLocked: true }) : await base;
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      try {
        await bus.publish(rows.map((row) => row.payload as BusMessage));
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await tx
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1`, last_error: error.slice(0, 2000) })
          .where(inArray(outbox.id, ids));
        throw new OutboxPublishError(error, rows.length);
      }
      await tx
        .update(outbox)
        .set({ published_at: sql`now()`, attempts: sql`${outbox.attempts} + 1`, last_error: null })
        .where(inArray(outbox.id, ids));
      return rows.length;
    };
    if (!lockRows) return claim(db);
    let failure: OutboxPublishError | undefined;
    // The failed-attempt bookkeeping must commit, so the transaction returns normally and the error is rethrown after.
    const published = await db.transaction(async (tx) => {
      try {
        return await claim(tx as unknown as Db);
      } catch (err) {
        if (err instanceof OutboxPublishError) {
          failure = err;
          return 0;
        }
        throw err;
      }
    });
    if (failure) throw failure;
    return published;
  }

  /** Publish batches until none is left. */
  async function drain(): Promise<void> {
    while ((await publishBatch()) === batchSize) {
      // a full batch: there may be more
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
    timer.unref();
  }

  function run(): void {
    if (stopped) return;
    if (current) {
      again = true;
      return;
    }
    again = false;
    current = drain()
      .then(() => {
        if (failures > 0) log.info({ failures }, 'outbox relay: publishing again');
        failures = 0;
      })
      .catch((err: unknown) => {
        failures++;
        const level = failures === 1 ? 'warn' : 'debug';
        log[level]({ err, failures }, 'outbox relay: publish failed; rows stay in the outbox and are retried');
      })
      .finally(() => {
        current = undefined;
        if (failures > 0) schedule(Math.min(pollMs * 2 ** Math.min(failures, 6), MAX_BACKOFF_MS));
        else if (again) schedule(0);
        else schedule(pollMs);
      });
  }

  schedule(0);

  return {
    wake() {
      if (failures === 0) schedule(0);
    },
    async flush() {
      while (current) await current;
      const flushing = drain();
      current = flushing
        .catch(() => {})
        .finally(() => {
          current = undefined;
          if (again) schedule(0);
        });
      await flushing;
      failures = 0;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (current) await current;
    },
  };
}

class OutboxPublishError extends Error {
  constructor(
    message: string,
    readonly rows: number,
  ) {
    super(`publishing ${rows} outbox events failed: ${message}`);
    this.name = 'OutboxPublishError';
  }
}

function isPglite(db: Db): boolean {
  const client = (db as unknown as { $client?: object }).$client;
  return client !== undefined && 'waitReady' in client;
}
