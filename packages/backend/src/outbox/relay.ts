import type { Logger } from '@smartem/common';
import type { Db } from '../db/index.ts';
import type { Bus } from '../bus/types.ts';
import { countOutboxPublished } from '../metrics.ts';
import {
  copyToOutboxDeadLetters,
  deleteOutboxBatchWhile,
  deleteOutboxEvents,
  lockOutboxBatch,
  readOutboxBatch,
  recordPublishFailure,
  type OutboxEvent as Claimed,
} from '../repositories/outbox.ts';

export interface OutboxRelay {
  /** A commit wrote outbox rows: publish soon (ignored while backing off after a broker failure). */
  wake(): void;
  /** Publish everything pending now; rejects with the broker's error if some rows could not be published. */
  flush(): Promise<void>;
  /** Stop polling and wait for the batch in progress. Call `flush()` first to publish what is left. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 10_000;
/** Rows failing one after another, with none published, that mean the broker is down rather than one bad event. */
const OUTAGE_STREAK = 3;

/**
 * Publishes outbox rows in id order, in batches, and deletes them once the broker confirmed them (one write per event
 * after its insert; a published row has nothing left to say). On PostgreSQL a batch is one transaction:
 * `DELETE … RETURNING` of the oldest unpublished rows (`FOR UPDATE SKIP LOCKED`, so several API replicas and workers can
 * relay at once), publish with publisher confirms, commit — a crash or a failed publish rolls the delete back, so every
 * event is published at least once. A failed publish records attempts + 1 and last_error on the rows and retries with
 * exponential backoff; a poll every `pollMs` picks up rows whose wake-up was missed (other replicas, a broker that came
 * back). `published_at IS NULL` skips rows that versions before 2026-11-24 marked published instead of deleting.
 */
export function startOutboxRelay(opts: {
  db: Db;
  bus: Bus;
  log: Logger;
  pollMs?: number;
  batchSize?: number;
  /** Publishes of one row, while later rows are published, before it is moved to `outbox_dead_letter` (default 3). */
  maxAttempts?: number;
}): OutboxRelay {
  const { db, bus, log } = opts;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
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

  /**
   * A batch failed: publish its rows one at a time, in id order, so one row the bus refuses does not hold back the
   * others. A row that fails is a suspect; once a later row is published — or, when no row follows, the bus answers a
   * probe — the broker is up, and each suspect gets `maxAttempts - 1` more publishes and, if all fail, is moved to
   * `outbox_dead_letter`. `OUTAGE_STREAK` rows failing in a row with none published, or a probe that fails, means the
   * broker is down: stop, record the attempt, and back off — an outage never dead-letters. Returns the rows handled
   * (published or dead-lettered) — suspects not yet confirmed stay — and the error when nothing was handled (the
   * caller throws it after committing the recorded attempts).
   */
  async function isolateBatch(exec: Db, rows: Claimed[]): Promise<{ handled: number; outage?: OutboxPublishError }> {
    const handled: number[] = [];
    let suspects: { row: Claimed; error: string }[] = [];
    let streak = 0;
    let lastError = '';
    const settleSuspects = async () => {
      for (const suspect of suspects) {
        const finalError = await retry(suspect.row, suspect.error);
        if (finalError !== undefined) await moveToDeadLetters(exec, suspect.row, finalError);
        handled.push(suspect.row.id);
      }
      suspects = [];
    };
    for (const row of rows) {
      const error = await tryPublish(row);
      if (error !== undefined) {
        suspects.push({ row, error });
        lastError = error;
        if (++streak >= OUTAGE_STREAK) break;
        continue;
      }
      handled.push(row.id);
      streak = 0;
      await settleSuspects();
    }
    // Refused rows with no later row to show the broker is up (say, the last event written): ask the bus itself.
    if (suspects.length > 0 && streak < OUTAGE_STREAK && (await busAnswers())) await settleSuspects();
    await deleteOutboxEvents(exec, handled);
    // Rows not reached after an outage streak carry the attempt and the error too, as after a failed batch.
    const left = rows.filter((row) => !handled.includes(row.id)).map((row) => row.id);
    if (left.length > 0) await recordPublishFailure(exec, left, lastError);
    return { handled: handled.length, outage: handled.length === 0 ? new OutboxPublishError(lastError, rows.length) : undefined };
  }

  async function busAnswers(): Promise<boolean> {
    try {
      await bus.probe();
      return true;
    } catch {
      return false;
    }
  }

  async function tryPublish(row: Claimed): Promise<string | undefined> {
    try {
      await bus.publish([row.payload]);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  async function retry(row: Claimed, firstError: string): Promise<string | undefined> {
    let error: string | undefined = firstError;
    for (let attempt = 2; attempt <= maxAttempts && error !== undefined; attempt++) error = await tryPublish(row);
    return error;
  }

  async function moveToDeadLetters(exec: Db, row: Claimed, error: string): Promise<void> {
    await copyToOutboxDeadLetters(exec, row.id, error, maxAttempts);
    log.error(
      { outbox_id: row.id, event_type: row.payload.event_type, error, attempts: maxAttempts },
      'outbox relay: the bus refused this event every time while later events were published; moved to outbox_dead_letter',
    );
  }

  /** PGlite: read a batch, publish it, delete it (no concurrent relay; a crash before the delete republishes). */
  async function publishUnlockedBatch(): Promise<number> {
    const rows = await readOutboxBatch(db, batchSize);
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    try {
      await bus.publish(rows.map((row) => row.payload));
    } catch {
      return throwOnOutage(await isolateBatch(db, rows));
    }
    await deleteOutboxEvents(db, ids);
    return rows.length;
  }

  /** PostgreSQL: one transaction per batch, deleted rows come back if the publish fails or the process dies. */
  async function publishLockedBatch(): Promise<number> {
    let failed = false;
    const published = await deleteOutboxBatchWhile(db, batchSize, async (rows) => {
      try {
        await bus.publish(rows.map((row) => row.payload));
      } catch (err) {
        failed = true;
        throw err;
      }
    }).catch((err: unknown) => {
      if (failed) return 0;
      throw err;
    });
    if (!failed) return published;
    // The delete rolled back; claim the same rows again and publish them one by one.
    const isolated = await lockOutboxBatch(db, batchSize, (tx, rows) => isolateBatch(tx, rows));
    return throwOnOutage(isolated);
  }

  /** Publish batches until none is left. */
  async function drain(): Promise<void> {
    const publishBatch = lockRows ? publishLockedBatch : publishUnlockedBatch;
    for (;;) {
      const published = await publishBatch();
      countOutboxPublished(published);
      // a full batch: there may be more
      if (published < batchSize) return;
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

function throwOnOutage(isolated: { handled: number; outage?: OutboxPublishError }): number {
  if (isolated.outage) throw isolated.outage;
  return isolated.handled;
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
