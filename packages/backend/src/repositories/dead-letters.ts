/**
 * Dead letters in the database: the embedded bus's (`bus_dead_letter`, so they outlive the process) and the events the
 * outbox relay could never publish (`outbox_dead_letter`).
 */
import { asc, eq } from 'drizzle-orm';
import type { DeadLetter } from '../bus/types.ts';
import type { DeadLetterStore } from '../bus/in-process.ts';
import type { Db } from '../db/index.ts';
import { busDeadLetter, outboxDeadLetter } from '../db/schema.ts';

export type OutboxDeadLetterRow = typeof outboxDeadLetter.$inferSelect;

/** The oldest `limit` events the relay gave up on, oldest first. */
export async function listOutboxDeadLetters(db: Db, limit: number): Promise<OutboxDeadLetterRow[]> {
  return db.select().from(outboxDeadLetter).orderBy(asc(outboxDeadLetter.id)).limit(limit);
}

export function databaseDeadLetterStore(db: Db, queue: string): DeadLetterStore {
  return {
    async add(letter: DeadLetter): Promise<void> {
      await db.insert(busDeadLetter).values({
        queue,
        message: letter.message,
        error: letter.error,
        attempts: letter.attempts,
        failed_at: new Date(letter.failed_at),
      });
    },
    async list(limit: number): Promise<DeadLetter[]> {
      const rows = await db.select().from(busDeadLetter).where(eq(busDeadLetter.queue, queue)).orderBy(asc(busDeadLetter.id)).limit(limit);
      return rows.map((row) => ({
        message: row.message as DeadLetter['message'],
        error: row.error,
        attempts: row.attempts,
        failed_at: row.failed_at.toISOString(),
      }));
    },
  };
}
