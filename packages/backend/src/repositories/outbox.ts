import { inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { outbox, outboxDeadLetter } from '../db/schema.ts';
import type { Db } from '../db/index.ts';
import type { BusMessage } from '../bus/types.ts';

/**
 * Queues events for the relay. Call it with the transaction that writes the rows the events describe, so rows and
 * events commit (or roll back) together. `payload` is the whole bus message, `event_type` included. One statement
 * for any number of events (`unnest` of two arrays).
 */
export async function insertOutbox(tx: Db, messages: readonly BusMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const types = messages.map((m) => m.event_type);
  const payloads = messages.map((m) => JSON.stringify(m));
  await tx.execute(sql`INSERT INTO outbox (event_type, payload)
    SELECT e, p::jsonb FROM unnest(${sql.param(types)}::text[], ${sql.param(payloads)}::text[]) AS t(e, p)`);
}

/**
 * The outbox insert for rows just written, run in the same statement as the write (`bulkInsert`'s `after`, which
 * names the written rows `inserted`): one `eventType` message per row, its payload built by PostgreSQL —
 * `{"event_type": eventType, <key>: <column>, …}` — so the API neither builds nor sends the events' JSON. `fields`
 * maps each payload key to a column of `inserted`, or to null for a JSON null.
 */
export function outboxFromInserted(eventType: string, fields: ReadonlyArray<readonly [key: string, column: string | null]>): SQL {
  const pairs = [
    sql`'event_type', ${eventType}::text`,
    ...fields.map(([key, column]) =>
      column === null ? sql`${key}::text, NULL::text` : sql`${key}::text, inserted.${sql.identifier(column)}`,
    ),
  ];
  return sql`INSERT INTO outbox (event_type, payload) SELECT ${eventType}::text, jsonb_build_object(${sql.join(pairs, sql.raw(', '))}) FROM inserted`;
}

/** Events not yet published, and the age in seconds of the oldest (0 when none). */
export async function pendingOutbox(db: Db): Promise<{ waiting: number; oldest: number }> {
  const result = (await db.execute(sql`SELECT count(*)::int AS waiting,
    coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
    FROM outbox WHERE published_at IS NULL`)) as unknown as { rows: Array<{ waiting: number; oldest: number }> };
  return result.rows[0];
}

/** An outbox row the relay publishes. */
export interface OutboxEvent {
  id: number;
  payload: BusMessage;
}

const asEvents = (result: unknown): OutboxEvent[] =>
  (result as { rows: OutboxEvent[] }).rows.map((r) => ({ id: Number(r.id), payload: r.payload })).sort((a, b) => a.id - b.id);

/** The oldest `limit` unpublished events, without a lock (PGlite: one connection, no other relay). */
export async function readOutboxBatch(db: Db, limit: number): Promise<OutboxEvent[]> {
  return (await db
    .select({ id: outbox.id, payload: outbox.payload })
    .from(outbox)
    .where(isNull(outbox.published_at))
    .orderBy(outbox.id)
    .limit(limit)) as OutboxEvent[];
}

/**
 * In one transaction: delete the oldest `limit` unpublished events (`FOR UPDATE SKIP LOCKED`, so relays in other
 * processes take other rows) and hand them to `publish`; its rejection rolls the delete back. The delete need not wait
 * for its WAL flush: lost in a crash, the rows come back and are published again (at least once either way).
 */
export async function deleteOutboxBatchWhile(db: Db, limit: number, publish: (events: OutboxEvent[]) => Promise<void>): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL synchronous_commit = off`);
    const events = asEvents(
      await tx.execute(sql`DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id, payload`),
    );
    if (events.length > 0) await publish(events);
    return events.length;
  });
}

/** In one transaction: lock the oldest `limit` unpublished events and hand them, with the transaction, to `work`. */
export async function lockOutboxBatch<T>(db: Db, limit: number, work: (tx: Db, events: OutboxEvent[]) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const events = asEvents(
      await tx.execute(sql`SELECT id, payload FROM outbox WHERE published_at IS NULL
      ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`),
    );
    return work(tx as unknown as Db, events);
  });
}

export async function deleteOutboxEvents(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) await db.delete(outbox).where(inArray(outbox.id, [...ids]));
}

/** A failed publish: attempts + 1 and the error on each row. */
export async function recordPublishFailure(db: Db, ids: readonly number[], error: string): Promise<void> {
  await db
    .update(outbox)
    .set({ attempts: sql`${outbox.attempts} + 1`, last_error: error.slice(0, 2000) })
    .where(inArray(outbox.id, [...ids]));
}

/** Copies an event the bus refused every time to `outbox_dead_letter` (the caller deletes it from the outbox). */
export async function copyToOutboxDeadLetters(db: Db, id: number, error: string, attempts: number): Promise<void> {
  await db.execute(sql`INSERT INTO ${outboxDeadLetter} (id, event_type, payload, error, attempts, created_at)
    SELECT id, event_type, payload, ${error.slice(0, 2000)}, attempts + ${attempts}, created_at
    FROM ${outbox} WHERE id = ${id} ON CONFLICT (id) DO NOTHING`);
}
