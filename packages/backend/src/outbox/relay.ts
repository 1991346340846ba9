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

interface Claimed {
  id: number;
  payload: BusMessage;
}

/**
 * Publishes outbox rows in id order, in batches, and deletes them once the broker confirmed them (one write per event
 * after its insert; a published row has nothing left to say). On PostgreSQL a batch is one transaction:
 * `DELETE … RETURNING` of the oldest unpublished rows (`FOR UPDATE SKIP LOCKED`, so several API replicas and workers can
 * relay at once), publish with publisher confirms, commit — a crash or a failed publish rolls the delete back, so every
 * event is published at least once. A failed publish records attempts + 1 and last_error on the rows and retries with
 * exponential backoff; a poll every `pollMs` picks up rows whose wake-up was missed (other replicas, a broker that came
 * back). `published_at IS NULL` skips rows that versions before 2026-11-24 marked published instead of deleting.
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

  async function recordFailure(ids: number[], error: string): Promise<void> {
    await db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, last_error: error.slice(0, 2000) })
      .where(inArray(outbox.id, ids));
  }

  /** PGlite: read a batch, publish it, delete it (no concurrent relay; a crash before the delete republishes). */
  async function publishUnlockedBatch(): Promise<number> {
    const rows = (await db
      .select({ id: outbox.id, payload: outbox.payload })
      .from(outbox)
      .where(isNull(outbox.published_at))
      .orderBy(outbox.id)
      .limit(batchSize)) as Claimed[];
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    try {
      await bus.publish(rows.map((row) => row.payload));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      await recordFailure(ids, error);
      throw new OutboxPublishError(error, rows.length);
    }
    await db.delete(outbox).where(inArray(outbox.id, ids));
    return rows.length;
  }

  /** PostgreSQL: one transaction per batch, deleted rows come back if the publish fails or the process dies. */
  async function publishLockedBatch(): Promise<number> {
    let failure: { ids: number[]; error: string } | undefined;
    const published = await db
      .transaction(async (tx) => {
        const result = await tx.execute(sql`DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
          RETURNING id, payload`);
        const rows = (result as unknown as { rows: Claimed[] }).rows.map((r) => ({ id: Number(r.id), payload: r.payload }));
        if (rows.length === 0) return 0;
        rows.sort((a, b) => a.id - b.id);
        try {
          await bus.publish(rows.map((row) => row.payload));
        } catch (err) {
          failure = { ids: rows.map((row) => row.id), error: err instanceof Error ? err.message : String(err) };
          throw err;
        }
        return rows.length;
      })
      .catch((err: unknown) => {
        if (failure) return 0;
        throw err;
      });
    if (failure) {
      await recordFailure(failure.ids, failure.error);
      throw new OutboxPublishError(failure.error, failure.ids.length);
    }
    return published;
  }

  /** Publish batches until none is left. */
  async function drain(): Promise<void> {
    const publishBatch = lockRows ? publishLockedBatch : publishUnlockedBatch;
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
