import { pino, type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/** `-v` → info, `-vv` → debug, default error (the original's convention); SMARTEM_LOG_LEVEL wins when set. */
export function levelFromVerbosity(verbose: number, env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  const fromEnv = env.SMARTEM_LOG_LEVEL?.trim().toLowerCase();
  if (verbose <= 0 && fromEnv && ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(fromEnv)) {
    return fromEnv as LevelWithSilent;
  }
  if (verbose >= 2) return 'debug';
  if (verbose === 1) return 'info';
  return 'error';
}

let root: Logger | undefined;

/**
 * The process-wide logger. Logs go to stderr so that `--json` output on stdout stays machine-readable.
 * JSON when stderr is not a TTY, pretty otherwise (formatted on this thread: a transport's worker thread would have to
 * load pino-pretty from a file, which the single executable does not have).
 */
export function createLogger(options: { level?: LevelWithSilent; name?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? levelFromVerbosity(0);
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const logger = pretty
    ? pino({ level, name: options.name }, pinoPretty({ destination: 2, translateTime: 'SYS:HH:MM:ss.l', sync: true }))
    : pino({ level, name: options.name }, pino.destination({ dest: 2, sync: true }));
  root = logger;
  return logger;
}

/** A child of the process logger (created on first use at the default level). */
export function getLogger(component: string): Logger {
  root ??= createLogger();
  return root.child({ component });
}
