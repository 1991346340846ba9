import { createLogger, levelFromVerbosity } from '@smartem/common';
import { amqpUrlFromEnv, ConfigError, databaseUrlFromEnv } from '@smartem/common';
import { openDatabase, migrateDatabase } from '../db/index.ts';
import { createBus } from '../bus/index.ts';
import { startOutboxRelay } from '../outbox/relay.ts';
import { runUntilSignal } from '../runtime/lifecycle.ts';
import { waitForMigrations, waitForPostgres, waitForRabbitMQ, type WaitOptions } from '../runtime/wait.ts';
import { startWorker } from './worker.ts';
import type { WorkerCommandOptions } from './cli.ts';
import { serveBackendMetrics } from '../metrics.ts';

/**
 * The `smartem backend worker` process: PostgreSQL + RabbitMQ, the handler families, and an outbox relay (so events
 * written by handlers are published too), run with the shared lifecycle (`runtime/lifecycle.ts`). SIGTERM/SIGINT:
 * stop taking messages, finish those in flight, flush the outbox, disconnect, exit 0; a second signal exits at once
 * with 1; a failed start exits 1, missing configuration 2. Resolves to the exit code.
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

  return runUntilSignal(
    'smartem backend worker',
    log,
    async (shutdown) => {
      const handle = await openDatabase({ url: databaseUrl, poolSize: opts.prefetch + 2 });
      shutdown.add('closing the database', () => handle.close());
      // Wait for the database and the broker (and fail with the reason rather than on the first message).
      const wait: WaitOptions = {
        timeoutMs: opts.startupTimeout * 1000,
        notify: (line) => process.stderr.write(`smartem backend worker: ${line}\n`),
      };
      await waitForPostgres(handle, databaseUrl, wait);
      if (opts.migrate) await migrateDatabase(handle);
      else await waitForMigrations(handle, databaseUrl, wait);
      await waitForRabbitMQ(amqpUrl, wait);
      const bus = await createBus({
        amqpUrl,
        queue: opts.queue,
        maxAttempts: opts.maxAttempts,
        log: log.child({ component: 'bus' }),
        connectionName: `smartem-worker-${process.pid}`,
      });
      shutdown.add('closing the bus', () => bus.close());
      const relay = startOutboxRelay({ db: handle.db, bus, log: log.child({ component: 'outbox-relay' }) });
      shutdown.add('stopping the relay', () => relay.stop());
      shutdown.add('flushing the outbox (what is left is published by the next relay)', () => relay.flush());
      const worker = await startWorker({ db: handle.db, bus, log: log.child({ component: 'worker' }), prefetch: opts.prefetch });
      shutdown.add('stopping the consumer', () => worker.stop());
      const metrics =
        opts.metricsPort === undefined
          ? undefined
          : await serveBackendMetrics(handle.db, { port: opts.metricsPort, host: opts.metricsHost });
      if (metrics) shutdown.add('closing the metrics server', () => metrics.close());
      log.info({ pid: process.pid, queue: opts.queue, metrics: metrics && `${metrics.url}/metrics` }, 'worker ready');
      return `consuming ${opts.queue} (pid ${process.pid})${metrics ? `; metrics on ${metrics.url}/metrics` : ''}`;
    },
    'worker',
  );
}
