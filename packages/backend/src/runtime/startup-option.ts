import { Option } from 'commander';
import { nonNegativeInteger } from '@smartem/common/cli-options';

// Kept here, not in wait.ts: the CLI registers its commands at start-up and wait.ts loads the database driver.
/** `--startup-timeout` when not given: how long a process waits for PostgreSQL (and for RabbitMQ) before giving up. */
export const DEFAULT_STARTUP_TIMEOUT_S = 60;

/**
 * `--startup-timeout <s>` of the distributed commands (`backend api`, `backend worker`: PostgreSQL, then RabbitMQ,
 * each waited for that long; `backend migrate`: PostgreSQL).
 */
export function startupTimeoutOption(servers = 'PostgreSQL, then RabbitMQ,'): Option {
  return new Option('--startup-timeout <s>', `seconds to wait for ${servers} to be reachable at start-up (0: try once)`)
    .argParser(nonNegativeInteger)
    .default(DEFAULT_STARTUP_TIMEOUT_S);
}
