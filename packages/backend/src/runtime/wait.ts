/**
 * Start-up before the servers are up (a deployment starts the API, the workers, PostgreSQL and RabbitMQ together):
 * wait for each, saying so on one line per attempt, with backoff, for a bounded time; then give up with a clear
 * message and no stack trace (`StartupError`, printed by `runUntilSignal` as "failed to start: …").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isUnreachableError, driverReason } from '../db/unreachable.ts';
import { pingDatabase, type DatabaseHandle } from '../db/index.ts';
import { StartupError } from './startup-error.ts';

/** `--startup-timeout` when not given: how long a process waits for PostgreSQL (and for RabbitMQ) before giving up. */
export const DEFAULT_STARTUP_TIMEOUT_S = 60;

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

export interface WaitOptions {
  /** How long to keep retrying; 0 tries once. */
  timeoutMs: number;
  /** Where each "waiting for …" line goes. */
  notify: (line: string) => void;
}

/**
 * Runs `attempt` until it succeeds. A failure meaning "not reachable" (connection refused, server starting up or
 * shutting down, …) is retried with exponential backoff until `timeoutMs` has passed; any other failure (wrong
 * password, no such database) ends the wait at once. Both end in a StartupError naming `what` and `where`.
 */
export async function waitUntilReachable(what: string, where: string, attempt: () => Promise<void>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      await attempt();
      return;
    } catch (err) {
      const reason = driverReason(err);
      if (!isUnreachableError(err)) throw new StartupError(`${what} at ${where} refused the connection: ${reason}`, { cause: err });
      const left = deadline - Date.now();
      if (left <= 0) {
        const waited = opts.timeoutMs > 0 ? ` after ${Math.round(opts.timeoutMs / 1000)} s` : '';
        throw new StartupError(`${what} at ${where} is not reachable${waited}: ${reason}`, { cause: err });
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
  return waitUntilReachable('PostgreSQL', serverAddress(url, 5432), () => pingDatabase(handle), opts);
}

/** Waits until RabbitMQ at `url` accepts a connection (with these credentials). */
export async function waitForRabbitMQ(url: string, opts: WaitOptions): Promise<void> {
  const { probeRabbitMQ } = await import('../bus/rabbitmq.ts');
  const defaultPort = url.startsWith('amqps:') ? 5671 : 5672;
  await waitUntilReachable('RabbitMQ', serverAddress(url, defaultPort), () => probeRabbitMQ(url), opts);
}

/** `host:port` of a server URL (the user and password never shown). */
export function serverAddress(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return 'the configured address';
  }
}
