import { Type } from 'typebox';
import { deadLetterReport, DeadLetterQueueUnavailable } from '../../services/dead-letters.ts';
import type { App } from '../app.ts';
import { HttpError } from '../errors.ts';

const DeadLetterQuery = Type.Object(
  {
    // A string pattern: the API does not coerce query types (see routes/common.ts listQuery).
    limit: Type.Optional(
      Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: 'at most this many (1–1000, default 100), oldest first' }),
    ),
  },
  { additionalProperties: false },
);

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
  app.get(
    '/dead-letters',
    {
      schema: {
        tags: ['dead-letters'],
        summary: 'list dead letters',
        description:
          'Messages the worker gave up on (failed maxAttempts times, or malformed) and the events the outbox relay could never publish, oldest first, without removing them; 503 without a bus.',
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterList },
      },
    },
    async (req) => {
      const bus = app.bus;
      if (!bus) throw new HttpError(503, 'no message bus is configured in this process');
      const { limit } = req.query;
      try {
        return await deadLetterReport(app.store.db, bus, limit === undefined ? 100 : Number(limit));
      } catch (err) {
        if (err instanceof DeadLetterQueueUnavailable) throw new HttpError(503, err.message);
        throw err;
      }
    },
  );
}
