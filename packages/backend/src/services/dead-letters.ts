/** What the backend gave up on: the bus's dead-letter queue and the outbox relay's `outbox_dead_letter` table. */
import type { Bus, DeadLetter } from '../bus/types.ts';
import type { Db } from '../db/index.ts';
import { listOutboxDeadLetters } from '../repositories/dead-letters.ts';

export interface DeadLetterReport {
  queue: string;
  count: number;
  dead_letters: DeadLetter[];
  outbox: {
    table: string;
    count: number;
    dead_letters: Array<{ id: number; event_type: string; message: unknown; error: string; attempts: number; failed_at: string }>;
  };
}

/** The bus could not be read (broker down): distinct from a database failure, which propagates as is. */
export class DeadLetterQueueUnavailable extends Error {
  override name = 'DeadLetterQueueUnavailable';
}

/** The oldest `limit` of each, without removing them. */
export async function deadLetterReport(db: Db, bus: Bus, limit: number): Promise<DeadLetterReport> {
  let letters: DeadLetter[];
  try {
    letters = await bus.deadLetters(limit);
  } catch (err) {
    throw new DeadLetterQueueUnavailable(`the dead-letter queue cannot be read now: ${(err as Error).message}`, { cause: err });
  }
  const unpublishable = await listOutboxDeadLetters(db, limit);
  return {
    queue: `${bus.queue}.dlq`,
    count: letters.length,
    dead_letters: letters,
    outbox: {
      table: 'outbox_dead_letter',
      count: unpublishable.length,
      dead_letters: unpublishable.map((row) => ({
        id: row.id,
        event_type: row.event_type,
        message: row.payload,
        error: row.error,
        attempts: row.attempts,
        failed_at: row.failed_at.toISOString(),
      })),
    },
  };
}
