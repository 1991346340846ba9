/**
 * Start-up before the servers are up (a deployment starts the API, the workers, PostgreSQL and RabbitMQ together):
 * wait for each, saying so on one line per attempt, with backoff, for a bounded time; then give up with a clear
 * message and no stack trace (`StartupError`, printed by `runUntilSignal` as "failed to start: …").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isUnreachableError, driverReason } from '../db/unreachable.ts';
import { MIGRATIONS_FOLDER, pingDatabase, type DatabaseHandle } from '../db/index.ts';
import { pendingMigrations } from '../db/pending-migrations.ts';
import { StartupError } from './startup-error.ts';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

export interface WaitOptions {
  /** How long to keep retrying; 0 tries once. */
  timeoutMs: number;
  /** Where each "waiting for …" line goes. */
  notify: (line: string) => void;
}

/** The state waited for: its name in "is not <name>", and which failures mean "not yet" (retried) rather than "never". */
interface WaitedState {
  name: string;
  retry: (err: unknown) => boolean;
}

const REACHABLE: WaitedState = { name: 'reachable', retry: isUnreachableError };

/**
 * Runs `attempt` until it succeeds. A failure meaning "not yet" (by default "not reachable": connection refused,
 * server starting up or shutting down, …) is retried with exponential backoff until `timeoutMs` has passed; any other
 * failure (wrong password, no such database) ends the wait at once. Both end in a StartupError naming `what` and `where`.
 */
async function waitUntil(
  what: string,
  where: string,
  attempt: () => Promise<void>,
  opts: WaitOptions,
  until: WaitedState = REACHABLE,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      await attempt();
      return;
    } catch (err) {
      const reason = driverReason(err);
      if (!until.retry(err)) throw new StartupError(`${what} at ${where} refused the connection: ${reason}`, { cause: err });
      const left = deadline - Date.now();
      if (left <= 0) {
        const waited = opts.timeoutMs > 0 ? ` after ${Math.round(opts.timeoutMs / 1000)} s` : '';
        throw new StartupError(`${what} at ${where} is not ${until.name}${waited}: ${reason}`, { cause: err });
      }
      const wait = Math.min(delay, left);
      opts.notify(
        `waiting for ${what} at ${where}: ${reason} (retrying in ${(wait / 1000).toFixed(1)} s, giving up in ${Math.ceil(left / 1000)} s)`,
      );
      await sleep(wait);
    }
  }
}

/** Waits until PostgreSQL at `url` (which `handle` was opened on) answers a query. */
export function waitForPostgres(handle: DatabaseHandle, url: string, opts: WaitOptions): Promise<void> {
  return waitUntil('PostgreSQL', serverAddress(url, 5432), () => pingDatabase(handle), opts);
}

/** The database lacks migrations this release needs (a process started with `--no-migrate` before `backend migrate` ran). */
class NotMigratedError extends Error {}

/**
 * Waits until the database at `url` has every migration applied (for a process that does not migrate: `backend
 * migrate` runs beside it), saying how many are pending and what to run.
 */
export function waitForMigrations(handle: DatabaseHandle, url: string, opts: WaitOptions): Promise<void> {
  const check = async () => {
    const pending = (await pendingMigrations(handle.db, MIGRATIONS_FOLDER)).map((m) => m.tag);
    if (pending.length === 0) return;
    const which = pending.length === 1 ? pending[0] : `${pending[0]} … ${pending.at(-1)}`;
    throw new NotMigratedError(
      `${pending.length} migration${pending.length === 1 ? '' : 's'} pending (${which}); run \`smartem backend migrate\``,
    );
  };
  return waitUntil('the database', serverAddress(url, 5432), check, opts, {
    name: 'migrated',
    retry: (err) => err instanceof NotMigratedError || isUnreachableError(err),
  });
}

/** Waits until RabbitMQ at `url` accepts a connection (with these credentials). */
export async function waitForRabbitMQ(url: string, opts: WaitOptions): Promise<void> {
  const { probeRabbitMQ } = await import('../bus/rabbitmq.ts');
  const defaultPort = url.startsWith('amqps:') ? 5671 : 5672;
  await waitUntil('RabbitMQ', serverAddress(url, defaultPort), () => probeRabbitMQ(url), opts);
}

/** `host:port` of a server URL (the user and password never shown). */
function serverAddress(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return 'the configured address';
  }
}
