/**
 * Option helpers shared by every `smartem` command: the `-v` counter and the number parsers. A parser rejects a value
 * with commander's InvalidArgumentError, which commander prints as
 * `error: option '--port <n>' argument 'abc' is invalid. must be a port number (0–65535)` and exits 1.
 */
import { InvalidArgumentError, Option } from 'commander';

/** `-v, --verbose` counted: 0 by default, 1 for -v, 2 for -vv (see levelFromVerbosity for the log level it gives). */
export function verboseOption(description = '-v info, -vv debug logs on stderr (default: errors only, or SMARTEM_LOG_LEVEL)'): Option {
  return new Option('-v, --verbose', description).argParser((_: string, previous: number) => previous + 1).default(0);
}

function parsed(raw: string): number {
  // Number('') is 0 and Number(' 5 ') is 5: only a plain decimal literal counts.
  return raw.trim() === raw && raw !== '' ? Number(raw) : Number.NaN;
}

/** A parser for whole numbers of at least `min`. */
export function wholeNumberAtLeast(min: number): (raw: string) => number {
  return (raw) => {
    const n = parsed(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

/** 1, 2, 3, … */
export const positiveInteger = wholeNumberAtLeast(1);

/** 0, 1, 2, … */
export const nonNegativeInteger = wholeNumberAtLeast(0);

/** A finite number > 0. */
export function positiveNumber(raw: string): number {
  const n = parsed(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(raw: string): number {
  const n = parsed(raw);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
}

/** A TCP port, 0 (any free port) to 65535. */
export function portNumber(raw: string): number {
  const n = parsed(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0–65535)');
  return n;
}

/**
 * `--metrics-port N` (env `SMARTEM_METRICS_PORT`; default off) and `--metrics-host H` (env `SMARTEM_METRICS_HOST`;
 * default loopback): where a process without an API of its own serves `GET /metrics` for Prometheus.
 */
export function metricsOptions(): [Option, Option] {
  return [
    new Option('--metrics-port <n>', 'serve Prometheus metrics at http://HOST:n/metrics (0: any free port; default off)')
      .env('SMARTEM_METRICS_PORT')
      .argParser(portNumber),
    new Option('--metrics-host <host>', 'interface the metrics server listens on').env('SMARTEM_METRICS_HOST').default('127.0.0.1'),
  ];
}
