import type { App } from '../app.ts';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { asc } from 'drizzle-orm';
import type { Bus } from '../../bus/types.ts';
import { outboxDeadLetter } from '../../db/schema.ts';
import { HttpError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The message bus, when the process has one (`buildApp({ bus })`). */
    bus?: Bus;
  }
}

const DeadLetterQuery = Type.Object({
  // A string pattern: the API does not coerce query types (see routes/common.ts listQuery).
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: 'at most this many (1–1000, default 100), oldest first' })),
}, { additionalProperties: false });

const DeadLetterList = Type.Object({
  queue: Type.String({ description: 'the dead-letter queue' }),
  count: Type.Integer(),
  dead_letters: Type.Array(
    Type.Object({
      message: Type.Unknown({ description: 'the message as published; the raw body text when it was not valid' }),
      error: Type.String({ description: 'why it was dead-lettered: the last handler error, or the reason it is malformed' }),
      attempts: Type.Integer({ description: 'deliveries to a handler before it was given up' }),
      failed_at: Type.String({ format: 'date-time' }),
    }),
  ),
  outbox: Type.Object({
    table: Type.String({ description: 'the table the outbox relay moves events to that the bus refused every time' }),
    count: Type.Integer(),
    dead_letters: Type.Array(
      Type.Object({
        id: Type.Integer({ description: 'the outbox row id' }),
        event_type: Type.String(),
        message: Type.Unknown({ description: 'the event as written to the outbox' }),
        error: Type.String({ description: 'the last publish error' }),
        attempts: Type.Integer({ description: 'publishes tried before it was given up' }),
        failed_at: Type.String({ format: 'date-time' }),
      }),
    ),
  }),
});

/**
 * `GET /dead-letters`: messages the worker gave up on (failed `maxAttempts` times, or malformed), and under `outbox`
 * the events the outbox relay could never publish (`outbox_dead_letter`), without removing them.
 */
export async function deadLetterRoutes(app: App): Promise<void> {
  app.get('/dead-letters', { schema: { tags: ['bus'], querystring: DeadLetterQuery, response: { 200: DeadLetterList } } }, async (req) => {
    const bus = app.bus;
    if (!bus) throw new HttpError(503, 'no message bus is configured in this process');
    const { limit } = req.query as { limit?: string };
    let letters;
    try {
      letters = await bus.deadLetters(limit === undefined ? 100 : Number(limit));
    } catch (err) {
      throw new HttpError(503, `the dead-letter queue cannot be read now: ${(err as Error).message}`);
    }
    const unpublishable = await app.store.db
      .select()
      .from(outboxDeadLetter)
      .orderBy(asc(outboxDeadLetter.id))
      .limit(limit === undefined ? 100 : Number(limit));
    const outbox = {
      table: 'outbox_dead_letter',
      count: unpublishable.length,
      dead_letters: unpublishable.map((row) => ({
        id: row.id, event_type: row.event_type, message: row.payload, error: row.error, attempts: row.attempts,
        failed_at: row.failed_at.toISOString(),
      })),
    };
    return { queue: `${bus.queue}.dlq`, count: letters.length, dead_letters: letters, outbox };
  });
}
