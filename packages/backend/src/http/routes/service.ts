import type { App } from '../app.ts';
import { checkHealth } from '../../services/health.ts';
import { problem } from '../errors.ts';

const VERSION = '0.1.0';

/** `GET /status`, `GET /health` (the original's bodies) and `GET /openapi.json`. */
export async function serviceRoutes(app: App): Promise<void> {
  app.get(
    '/status',
    {
      schema: {
        tags: ['service'],
        summary: 'service status',
        description: 'Version, configuration, endpoints and uptime (the original body).',
      },
    },
    async () => ({
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
    }),
  );

  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'health check',
        description: 'Whether the database answers and the outbox relay keeps up; 503 with the details when either does not.',
      },
    },
    async (_req, reply) => {
      const { database, event_broker: broker } = await checkHealth(app.store.db);
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
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
