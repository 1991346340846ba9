/**
 * A running backend, composed from its parts: database (+ migrations), bus, outbox relay, optional in-process worker,
 * and the HTTP API. `smartem up` = PGlite + in-process bus + worker + API; `smartem backend api` = PostgreSQL +
 * RabbitMQ + API + relay (workers run separately).
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@smartem/common';
import { openDatabase, migrateDatabase, type DatabaseHandle } from '../db/index.ts';
import type { Bus } from '../bus/types.ts';
import { InProcessBus } from '../bus/in-process.ts';
import { databaseDeadLetterStore } from '../repositories/dead-letters.ts';
import type { AuthOptions } from '../http/auth/config.ts';
import { Shutdown } from './lifecycle.ts';
import { waitForMigrations, waitForPostgres, waitForRabbitMQ, type WaitOptions } from './wait.ts';

export interface BackendOptions {
  log: Logger;
  /** PostgreSQL URL; without it PGlite in `dataDir` (or in memory when that is unset too). */
  databaseUrl?: string;
  dataDir?: string;
  /** RabbitMQ URL; without it the in-process bus. */
  amqpUrl?: string;
  /** Interface to listen on (default loopback, 127.0.0.1). */
  host?: string;
  port?: number;
  /** Run the event worker in this process (embedded mode). */
  worker?: boolean;
  /**
   * Whether that worker turns the decision engine's changed recommendations into instructions for the agents (default
   * true); without, instructions come only from operators (or a test that writes its own).
   */
  recommend?: boolean;
  migrate?: boolean;
  /** Bus queue (default `smartem_backend`, the original's). */
  queue?: string;
  poolSize?: number;
  /** Require OpenID Connect bearer tokens (see `http/auth/`); open without. */
  auth?: AuthOptions;
  /**
   * PostgreSQL or RabbitMQ not reachable yet, or (with `migrate: false`) migrations not applied yet: how long to wait
   * for each, and where to say so (default: one try, warnings to `log`).
   */
  startupWait?: Partial<WaitOptions>;
  /** Preview images (`/images/…`): default `$SMARTEM_IMAGE_DIR`, else `<dataDir>/images`; none without either. */
  imageDir?: string;
}

export interface RunningBackend {
  app: FastifyInstance;
  handle: DatabaseHandle;
  bus: Bus;
  /** A URL clients on this machine can use, e.g. http://127.0.0.1:8000. */
  url: string;
  /** The address actually bound, e.g. http://0.0.0.0:8000 or http://[::1]:8000. */
  listening: string;
  /** Graceful: stop accepting requests and finish those in flight, stop the worker, flush the outbox, close. */
  stop(): Promise<void>;
}

/** Where images go: `SMARTEM_IMAGE_DIR` (a shared directory in distributed mode), else beside the PGlite data. */
export function imageDirOf(dataDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SMARTEM_IMAGE_DIR || (dataDir ? join(dataDir, 'images') : undefined);
}

/**
 * Starts the parts in order, registering each one's stop on `shutdown` (a fresh one when not given): on failure, what
 * did start is stopped and the error rethrown.
 */
export async function startBackend(opts: BackendOptions, shutdown = new Shutdown(opts.log)): Promise<RunningBackend> {
  const { log } = opts;
  const stopAll = () => shutdown.run();
  const wait: WaitOptions = { timeoutMs: opts.startupWait?.timeoutMs ?? 0, notify: opts.startupWait?.notify ?? ((line) => log.warn(line)) };
  try {
    const handle = await openDatabase({ url: opts.databaseUrl, dataDir: opts.dataDir, poolSize: opts.poolSize });
    shutdown.add('closing the database', () => handle.close());
    if (opts.databaseUrl) await waitForPostgres(handle, opts.databaseUrl, wait);
    if (opts.migrate ?? true) await migrateDatabase(handle);
    else if (opts.databaseUrl) await waitForMigrations(handle, opts.databaseUrl, wait);
    if (opts.amqpUrl) await waitForRabbitMQ(opts.amqpUrl, wait);

    const { createBus } = await import('../bus/index.ts');
    const bus = await createBus({
      amqpUrl: opts.amqpUrl,
      queue: opts.queue,
      log: log.child({ component: 'bus' }),
      connectionName: `smartem-api-${process.pid}`,
    });
    shutdown.add('closing the bus', () => bus.close());
    if (bus instanceof InProcessBus) bus.useDeadLetterStore(databaseDeadLetterStore(handle.db, bus.queue));

    const { startOutboxRelay } = await import('../outbox/relay.ts');
    // Large relay batches: the API writes thousands of events per request.
    const relayBatch = 2000;
    const relay = startOutboxRelay({ db: handle.db, bus, log: log.child({ component: 'outbox-relay' }), batchSize: relayBatch });
    shutdown.add('stopping the outbox relay', () => relay.stop());

    if (opts.worker) {
      const { startWorker } = await import('../worker/worker.ts');
      const { handlerFamilies, recommendationHandlers } = await import('../worker/handlers/index.ts');
      const families = opts.recommend === false ? handlerFamilies.filter((f) => f !== recommendationHandlers) : handlerFamilies;
      // In process, a whole relay batch is handed out at once (the relay publishes the next one only when this one is
      // handled): a grid's events in it then join one recomputation of its recommendations instead of one per 10.
      const prefetch = bus instanceof InProcessBus ? relayBatch : undefined;
      const worker = await startWorker({ db: handle.db, bus, log: log.child({ component: 'worker' }), families, prefetch });
      shutdown.add('stopping the worker', () => worker.stop());
    }
    // Shutdown runs these in reverse: HTTP server, outbox flush, worker, relay, bus, database.
    shutdown.add('flushing the outbox', () => relay.flush());

    const { buildApp } = await import('../http/app.ts');
    const app = await buildApp({
      db: handle.db,
      log: log.child({ component: 'http' }),
      onCommit: () => relay.wake(),
      bus,
      auth: opts.auth,
      listen: handle.listen,
      imageDir: opts.imageDir ?? imageDirOf(opts.dataDir),
    });
    shutdown.add('closing the HTTP server', () => app.close());
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8000 });
    const { address, port } = app.server.address() as AddressInfo;
    const hostPart = (a: string) => (a.includes(':') ? `[${a}]` : a);
    const clientHost = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
    return {
      app,
      handle,
      bus,
      url: `http://${hostPart(clientHost)}:${port}`,
      listening: `http://${hostPart(address)}:${port}`,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
