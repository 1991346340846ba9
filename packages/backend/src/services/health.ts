/** `GET /health`: the database answers, and the outbox relay keeps up (nothing unpublished for long). */
import type { Db } from '../db/index.ts';
import { pendingOutbox } from '../repositories/outbox.ts';

/** Unpublished events older than this mean the relay cannot reach the broker. */
const OUTBOX_STALE_SECONDS = 60;

export interface Check {
  status: 'ok' | 'error';
  details: string;
}

export async function checkHealth(db: Db): Promise<{ database: Check; event_broker: Check }> {
  const database: Check = { status: 'ok', details: 'Database connection successful' };
  const broker: Check = { status: 'ok', details: 'Outbox relay up to date' };
  try {
    const { waiting, oldest } = await pendingOutbox(db);
    if (waiting > 0 && oldest > OUTBOX_STALE_SECONDS) {
      Object.assign(broker, {
        status: 'error',
        details: `Event broker unreachable: ${waiting} events waiting, oldest ${Math.round(oldest)} s`,
      });
    } else if (waiting > 0) {
      broker.details = `Outbox relay running: ${waiting} events waiting`;
    }
  } catch (error) {
    Object.assign(database, { status: 'error', details: `Database connection failed: ${(error as Error).message}` });
    Object.assign(broker, { status: 'error', details: 'Outbox unavailable (database down)' });
  }
  return { database, event_broker: broker };
}
