import { sql } from 'drizzle-orm';
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
