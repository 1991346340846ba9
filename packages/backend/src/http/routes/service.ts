import type { App } from '../app.ts';
import { sql } from 'drizzle-orm';
import { problem } from '../errors.ts';

const VERSION = '0.1.0';
/** Unpublished events older than this mean the relay cannot reach the broker. */
const OUTBOX_STALE_SECONDS = 60;

/** `GET /status`, `GET /health` (the original's bodies) and `GET /openapi.json`. */
export async function serviceRoutes(app: App): Promise<void> {
  app.get('/status', { schema: { tags: ['service'] } }, async () => ({
    status: 'ok',
    service: 'SmartEM Decisions API',
    version: VERSION,
    timestamp: new Date().toISOString(),
    configuration: {
      log_level: (process.env.SMARTEM_LOG_LEVEL ?? app.log.level).toUpperCase(),
      environment: process.env.ENVIRONMENT ?? 'unknown',
    },
    endpoints: { health: '/health', status: '/status', docs: '/docs', openapi: '/openapi.json' },
    uptime_seconds: (Date.now() - app.startedAt) / 1000,
    features: { database_operations: true, message_queue_publishing: true, direct_db_writes: true },
  }));

  app.get('/health', { schema: { tags: ['service'] } }, async (_req, reply) => {
    const database = { status: 'ok', details: 'Database connection successful' };
    const broker = { status: 'ok', details: 'Outbox relay up to date' };
    try {
      const result = (await app.store.db.execute(sql`SELECT count(*)::int AS waiting,
        coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
        FROM outbox WHERE published_at IS NULL`)) as unknown as { rows: Array<{ waiting: number; oldest: number }> };
      const { waiting, oldest } = result.rows[0];
      if (waiting > 0 && oldest > OUTBOX_STALE_SECONDS) {
        Object.assign(broker, { status: 'error', details: `Event broker unreachable: ${waiting} events waiting, oldest ${Math.round(oldest)} s` });
      } else if (waiting > 0) {
        broker.details = `Outbox relay running: ${waiting} events waiting`;
      }
    } catch (error) {
      Object.assign(database, { status: 'error', details: `Database connection failed: ${(error as Error).message}` });
      Object.assign(broker, { status: 'error', details: 'Outbox unavailable (database down)' });
    }
    const ok = database.status === 'ok' && broker.status === 'ok';
    const body = {
      status: ok ? 'ok' : 'degraded',
      timestamp: new Date().toISOString(),
      services: {
        database,
        event_broker: broker,
        log_aggregator: { status: 'not_configured', details: 'Log aggregation service not configured' },
      },
      version: VERSION,
    };
    if (ok) return body;
    return reply.status(503).send({ ...problem(503, 'Service degraded', '/health'), detail: body });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
