import { sql } from 'drizzle-orm';
import { createLogger, levelFromVerbosity, type Logger } from '@smartem/common';
import { amqpUrlFromEnv, ConfigError, databaseUrlFromEnv } from '@smartem/common';
import { openDatabase, migrateDatabase, type DatabaseHandle } from '../db/index.ts';
import { createBus } from '../bus/index.ts';
import type { Bus } from '../bus/types.ts';
import { startOutboxRelay, type OutboxRelay } from '../outbox/relay.ts';
import { startWorker } from './worker.ts';
import type { WorkerCommandOptions } from './cli.ts';
import type { MetricsServer } from '@smartem/common';
import { serveBackendMetrics } from '../metrics.ts';

/**
 * The `smartem backend worker` process: PostgreSQL + RabbitMQ, the handler families, and an outbox relay (so events
 * written by handlers are published too). SIGTERM/SIGINT: stop taking messages, finish those in flight, flush the
 * outbox, disconnect, exit 0. A second signal exits at once with 1. Resolves to the exit code.
 */
export async function runWorkerProcess(opts: WorkerCommandOptions): Promise<number> {
  const log = createLogger({ level: levelFromVerbosity(opts.verbose), name: 'smartem-worker' });
  let databaseUrl: string | undefined;
  let amqpUrl: string | undefined;
  try {
    databaseUrl = databaseUrlFromEnv();
    amqpUrl = amqpUrlFromEnv();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`smartem backend worker: ${err.message}\n`);
    return 2;
  }
  if (!databaseUrl || !amqpUrl) {
    const missing = [!databaseUrl && 'DATABASE_URL (or POSTGRES_*)', !amqpUrl && 'AMQP_URL (or RABBITMQ_*)'].filter(Boolean);
    process.stderr.write(
      `smartem backend worker: set ${missing.join(' and ')}; the worker joins a distributed backend. ` +
        'For one process with an embedded database and bus, run `smartem up`.\n',
    );
    return 2;
  }

  let handle: DatabaseHandle | undefined;
  let bus: Bus | undefined;
  let relay: OutboxRelay | undefined;
  let worker: { stop(): Promise<void> } | undefined;
  let metrics: MetricsServer | undefined;
  try {
    handle = await openDatabase({ url: databaseUrl, poolSize: opts.prefetch + 2 });
    if (opts.migrate) await migrateDatabase(handle);
    else await handle.db.execute(sql`SELECT 1`); // fail now, with the reason, rather than on the first message
    bus = await createBus({ amqpUrl, queue: opts.queue, maxAttempts: opts.maxAttempts, log: log.child({ component: 'bus' }), connectionName: `smartem-worker-${process.pid}` });
    relay = startOutboxRelay({ db: handle.db, bus, log: log.child({ component: 'outbox-relay' }) });
    worker = await startWorker({ db: handle.db, bus, log: log.child({ component: 'worker' }), prefetch: opts.prefetch });
    if (opts.metricsPort !== undefined) metrics = await serveBackendMetrics(handle.db, { port: opts.metricsPort, host: opts.metricsHost });
  } catch (err) {
    log.error({ err }, 'worker failed to start');
    process.stderr.write(`smartem backend worker: failed to start: ${(err as Error).message}\n`);
    await shutdown(log, { worker, relay, bus, handle, metrics });
    return 1;
  }
  log.info({ pid: process.pid, queue: opts.queue, metrics: metrics && `${metrics.url}/metrics` }, 'worker ready');
  if (metrics) process.stdout.write(`smartem backend worker: metrics on ${metrics.url}/metrics\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  for (const again of ['SIGTERM', 'SIGINT'] as const) process.once(again, () => process.exit(1));
  log.info({ signal }, 'worker stopping: finishing messages in flight');
  await shutdown(log, { worker, relay, bus, handle, metrics });
  log.info('worker stopped');
  return 0;
}

async function shutdown(
  log: Logger,
  parts: { worker?: { stop(): Promise<void> }; relay?: OutboxRelay; bus?: Bus; handle?: DatabaseHandle; metrics?: MetricsServer },
): Promise<void> {
  const step = async (what: string, fn: (() => Promise<void>) | undefined) => {
    try {
      await fn?.();
    } catch (err) {
      log.error({ err }, `worker shutdown: ${what} failed`);
    }
  };
  await step('stopping the consumer', parts.worker?.stop);
  await step('flushing the outbox (what is left is published by the next relay)', parts.relay?.flush);
  await step('stopping the relay', parts.relay?.stop);
  await step('closing the bus', parts.bus && (() => (parts.bus as Bus).close()));
  await step('closing the database', parts.handle?.close);
  await step('closing the metrics server', parts.metrics?.close);
}
