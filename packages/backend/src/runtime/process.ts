/**
 * Runs a backend (`smartem up`, `smartem backend api`) as the process's main job with the shared lifecycle
 * (`lifecycle.ts`): "listening on" once ready, graceful shutdown on SIGTERM/SIGINT. Resolves to the exit code.
 */
import { createLogger, levelFromVerbosity } from '@smartem/common';
import { startBackend, type BackendOptions } from './backend.ts';
import { runUntilSignal } from './lifecycle.ts';

export async function runBackendProcess(name: string, verbose: number, opts: Omit<BackendOptions, 'log'>): Promise<number> {
  const log = createLogger({ level: levelFromVerbosity(verbose), name });
  return runUntilSignal(name, log, async (shutdown) => {
    const backend = await startBackend({ ...opts, log }, shutdown);
    const where = opts.databaseUrl ? 'PostgreSQL' : opts.dataDir ? `PGlite in ${opts.dataDir}` : 'PGlite in memory';
    const local = backend.listening === backend.url ? '' : `; on this machine: ${backend.url}`;
    const auth = opts.auth ? `OpenID Connect, issuer ${opts.auth.issuer}` : 'none';
    return `listening on ${backend.listening} (auth: ${auth}${local}; database: ${where}; bus: ${opts.amqpUrl ? 'RabbitMQ' : 'in-process'}; docs: ${backend.url}/docs)`;
  });
}
