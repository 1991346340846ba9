import type { Command } from 'commander';
import { portNumber, verboseOption } from '@smartem/common/cli-options';
import { registerWorkerCommand } from './worker/cli.ts';
import { startupTimeoutOption } from './runtime/startup-option.ts';
import type { AuthOptions } from './http/auth/config.ts';

/** Explicit `--port`, else `HTTP_API_PORT` (the original's variable), else 8000. */
function resolvePort(flag: number | undefined): number {
  if (flag !== undefined) return flag;
  const env = process.env.HTTP_API_PORT;
  return env ? portNumber(env) : 8000;
}

async function distributedUrls(command: string, needAmqp: boolean): Promise<{ databaseUrl: string; amqpUrl?: string } | undefined> {
  const { amqpUrlFromEnv, databaseUrlFromEnv } = await import('@smartem/common');
  try {
    const databaseUrl = databaseUrlFromEnv();
    const amqpUrl = amqpUrlFromEnv();
    const missing = [!databaseUrl && 'DATABASE_URL (or POSTGRES_*)', needAmqp && !amqpUrl && 'AMQP_URL (or RABBITMQ_*)'].filter(Boolean);
    if (missing.length > 0 || !databaseUrl) {
      process.stderr.write(
        `smartem ${command}: set ${missing.join(' and ')}. For one process with an embedded database and bus, run \`smartem up\`.\n`,
      );
      return undefined;
    }
    return { databaseUrl, amqpUrl };
  } catch (err) {
    process.stderr.write(`smartem ${command}: ${(err as Error).message}\n`);
    return undefined;
  }
}

interface ServeOptions {
  port?: number;
  host: string;
  verbose: number;
  migrate: boolean;
  insecure?: boolean;
}

const INSECURE_HELP = 'serve without OpenID Connect where it would otherwise be refused (logs a warning)';

/** OIDC settings from the environment and the exposure check; undefined (after a one-line message) to refuse. */
async function serveAuth(command: string, opts: ServeOptions, networkService: boolean): Promise<{ auth?: AuthOptions } | undefined> {
  const { authFromEnv } = await import('./http/auth/config.ts');
  const { checkExposure } = await import('./runtime/exposure.ts');
  let auth;
  try {
    auth = authFromEnv();
  } catch (err) {
    process.stderr.write(`${command}: ${(err as Error).message}\n`);
    return undefined;
  }
  const verdict = await checkExposure({
    command,
    host: opts.host,
    authConfigured: Boolean(auth),
    insecure: Boolean(opts.insecure),
    networkService,
  });
  if (verdict.refuse) {
    process.stderr.write(`${verdict.refuse}\n`);
    return undefined;
  }
  if (verdict.warn) process.stderr.write(`warning: ${verdict.warn}\n`);
  return { auth };
}

/** `smartem up` and `smartem backend api|worker|migrate`. */
export function registerBackendCommands(program: Command, backend: Command): void {
  program
    .command('up')
    .description('run the whole backend in one process: embedded PostgreSQL (PGlite), HTTP API, event worker, in-process bus')
    .option('--port <n>', 'HTTP port (default: $HTTP_API_PORT or 8000; 0 picks a free one)', portNumber)
    .option('--host <host>', 'interface to listen on; other than loopback needs SMARTEM_OIDC_ISSUER or --insecure', '127.0.0.1')
    .option('--insecure', INSECURE_HELP)
    .option('--data <dir>', 'PGlite data directory (default: the user data directory, e.g. ~/.local/share/smartem)')
    .addOption(verboseOption())
    .action(async (opts: ServeOptions & { data?: string }) => {
      const serve = await serveAuth('smartem up', opts, false);
      if (!serve) {
        process.exitCode = 2;
        return;
      }
      const { runBackendProcess } = await import('./runtime/process.ts');
      const { defaultDataDir } = await import('./runtime/data-dir.ts');
      process.exitCode = await runBackendProcess('smartem up', opts.verbose, {
        ...serve,
        dataDir: opts.data ?? defaultDataDir(),
        host: opts.host,
        port: resolvePort(opts.port),
        worker: true,
        migrate: true,
      });
    });

  backend
    .command('api')
    .description(
      'run the HTTP API and outbox relay against PostgreSQL and RabbitMQ (distributed mode; run workers with `smartem backend worker`). ' +
        'Needs DATABASE_URL (or POSTGRES_*) and AMQP_URL (or RABBITMQ_*), and SMARTEM_OIDC_ISSUER (or --insecure)',
    )
    .option('--port <n>', 'HTTP port (default: $HTTP_API_PORT or 8000)', portNumber)
    .option('--host <host>', 'interface to listen on', '0.0.0.0')
    .option('--insecure', INSECURE_HELP)
    .option('--no-migrate', 'do not apply database migrations at start-up')
    .option('--queue <name>', 'RabbitMQ queue the outbox relay publishes to', 'smartem_backend')
    .addOption(startupTimeoutOption())
    .addOption(verboseOption())
    .action(async (opts: ServeOptions & { queue: string; startupTimeout: number }) => {
      const urls = await distributedUrls('backend api', true);
      const serve = urls && (await serveAuth('smartem backend api', opts, true));
      if (!urls || !serve) {
        process.exitCode = 2;
        return;
      }
      const { runBackendProcess } = await import('./runtime/process.ts');
      process.exitCode = await runBackendProcess('smartem backend api', opts.verbose, {
        ...urls,
        ...serve,
        host: opts.host,
        port: resolvePort(opts.port),
        worker: false,
        migrate: opts.migrate,
        queue: opts.queue,
        startupWait: {
          timeoutMs: opts.startupTimeout * 1000,
          notify: (line) => process.stderr.write(`smartem backend api: ${line}\n`),
        },
      });
    });

  backend
    .command('migrate')
    .description('apply the database migrations (PostgreSQL from DATABASE_URL or POSTGRES_*, or a PGlite directory with --data)')
    .option('--data <dir>', 'migrate this PGlite data directory instead')
    .addOption(startupTimeoutOption('PostgreSQL'))
    .addOption(verboseOption())
    .action(async (opts: { data?: string; verbose: number; startupTimeout: number }) => {
      const urls = opts.data ? undefined : await distributedUrls('backend migrate', false);
      if (!opts.data && !urls) {
        process.exitCode = 2;
        return;
      }
      const { openDatabase, migrateDatabase } = await import('./db/index.ts');
      const { waitForPostgres } = await import('./runtime/wait.ts');
      try {
        const handle = await openDatabase({ url: urls?.databaseUrl, dataDir: opts.data });
        try {
          if (urls) {
            await waitForPostgres(handle, urls.databaseUrl, {
              timeoutMs: opts.startupTimeout * 1000,
              notify: (line) => process.stderr.write(`smartem backend migrate: ${line}\n`),
            });
          }
          await migrateDatabase(handle);
        } finally {
          await handle.close();
        }
        process.stdout.write(`smartem backend migrate: database is up to date (${opts.data ? `PGlite in ${opts.data}` : 'PostgreSQL'})\n`);
      } catch (err) {
        process.stderr.write(`smartem backend migrate: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  registerWorkerCommand(backend);
}
