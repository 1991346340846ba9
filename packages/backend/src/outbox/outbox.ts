import type { Db } from '../db/index.ts';
import { outbox } from '../db/schema.ts';
import type { BusMessage } from '../bus/types.ts';

const CHUNK = 2000; // 2 parameters a row; well under PostgreSQL's 65,535 bind parameters

/**
 * Queues events for the relay. Call it with the transaction that writes the rows the events describe, so rows and
 * events commit (or roll back) together. `payload` is the whole bus message, `event_type` included.
 */
export async function insertOutbox(tx: Db, messages: readonly BusMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += CHUNK) {
    const rows = messages.slice(start, start + CHUNK).map((m) => ({ event_type: m.event_type, payload: m }));
    await tx.insert(outbox).values(rows);
  }
}
