/** The embedded bus's dead letters in the database (`bus_dead_letter`), so they outlive the process. */
import { asc, eq } from 'drizzle-orm';
import type { DeadLetter } from '../bus/types.ts';
import type { DeadLetterStore } from '../bus/in-process.ts';
import type { Db } from './index.ts';
import { busDeadLetter } from './schema.ts';

export function databaseDeadLetterStore(db: Db, queue: string): DeadLetterStore {
  return {
    async add(letter: DeadLetter): Promise<void> {
      await db.insert(busDeadLetter).values({
        queue, message: letter.message, error: letter.error, attempts: letter.attempts, failed_at: new Date(letter.failed_at),
      });
    },
    async list(limit: number): Promise<DeadLetter[]> {
      const rows = await db.select().from(busDeadLetter).where(eq(busDeadLetter.queue, queue)).orderBy(asc(busDeadLetter.id)).limit(limit);
      return rows.map((row) => ({
        message: row.message as DeadLetter['message'], error: row.error, attempts: row.attempts, failed_at: row.failed_at.toISOString(),
      }));
    },
  };
}
