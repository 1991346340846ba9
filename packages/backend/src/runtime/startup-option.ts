import { Option } from 'commander';
import { nonNegativeInteger } from '@smartem/common/cli-options';
import { DEFAULT_STARTUP_TIMEOUT_S } from './wait.ts';

/** `--startup-timeout <s>` of the distributed commands (`backend api`, `backend worker`). */
export function startupTimeoutOption(): Option {
  return new Option('--startup-timeout <s>', 'seconds to wait for PostgreSQL to be reachable at start-up (0: try once)')
    .argParser(nonNegativeInteger)
    .default(DEFAULT_STARTUP_TIMEOUT_S);
}
