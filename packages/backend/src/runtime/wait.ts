/**
 * Start-up before the servers are up (a deployment starts the API, the workers and PostgreSQL together): wait for the
 * database, saying so on one line per attempt, with backoff, for a bounded time; then give up with a clear message
 * and no stack trace (`StartupError`, printed by `runUntilSignal` as "failed to start: …").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isUnreachableError, driverReason } from '../db/unreachable.ts';

/** A start-up failure whose message says everything: printed without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** `--startup-timeout` when not given: how long a process waits for PostgreSQL before giving up. */
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

/** `host:port` of a PostgreSQL URL (the password never shown). */
export function postgresAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || 5432}`;
  } catch {
    return 'the configured address';
  }
}
