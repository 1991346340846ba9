import { sql, type SQL } from 'drizzle-orm';
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
    ...fields.map(([key, column]) => (column === null ? sql`${key}::text, NULL::text` : sql`${key}::text, inserted.${sql.identifier(column)}`)),
  ];
  return sql`INSERT INTO outbox (event_type, payload) SELECT ${eventType}::text, jsonb_build_object(${sql.join(pairs, sql.raw(', '))}) FROM inserted`;
}
