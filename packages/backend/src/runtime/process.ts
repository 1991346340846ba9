/**
 * Runs a backend as the process's main job: prints the "listening on" line, waits for SIGTERM/SIGINT, shuts down
 * gracefully (a second signal exits at once). Resolves to the exit code.
 */
import { createLogger, levelFromVerbosity } from '@smartem/common';
import { startBackend, type BackendOptions } from './backend.ts';

export async function runBackendProcess(name: string, verbose: number, opts: Omit<BackendOptions, 'log'>): Promise<number> {
  const log = createLogger({ level: levelFromVerbosity(verbose), name });
  let backend;
  try {
    backend = await startBackend({ ...opts, log });
  } catch (err) {
    log.error({ err }, 'start-up failed');
    process.stderr.write(`${name}: failed to start: ${(err as Error).message}\n`);
    return 1;
  }
  const where = opts.databaseUrl ? 'PostgreSQL' : opts.dataDir ? `PGlite in ${opts.dataDir}` : 'PGlite in memory';
  const local = backend.listening === backend.url ? '' : `; on this machine: ${backend.url}`;
  process.stdout.write(`${name}: listening on ${backend.listening} (auth: ${opts.auth ? `OpenID Connect, issuer ${opts.auth.issuer}` : 'none'}${local}; database: ${where}; bus: ${opts.amqpUrl ? 'RabbitMQ' : 'in-process'}; docs: ${backend.url}/docs)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.once(signal, () => process.exit(1));
  log.info({ signal }, 'stopping: finishing requests in flight, flushing the outbox');
  await backend.stop();
  log.info('stopped');
  return 0;
}
