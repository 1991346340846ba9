import { InvalidArgumentError, type Command } from 'commander';
import { metricsOptions } from '@smartem/common/cli-options';
import { startupTimeoutOption } from '../runtime/startup-option.ts';

function positiveInt(name: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${raw}'`);
    return value;
  };
}

/** `smartem backend worker`. */
export function registerWorkerCommand(backend: Command): void {
  backend
    .command('worker')
    .description(
      'consume backend events from RabbitMQ and run their handlers (distributed mode; `smartem up` runs one in-process). ' +
        'Needs DATABASE_URL (or POSTGRES_HOST/USER/PASSWORD/PORT/DB) and AMQP_URL (or RABBITMQ_HOST/PORT/USER/PASSWORD/VHOST)',
    )
    .option('-v, --verbose', '-v info, -vv debug (default: errors only, or SMARTEM_LOG_LEVEL)', (_: string, n: number) => n + 1, 0)
    .option('--prefetch <n>', 'messages handled at once by this worker', positiveInt('--prefetch'), 10)
    .option('--max-attempts <n>', 'handler failures before a message goes to the dead-letter queue', positiveInt('--max-attempts'), 5)
    .option('--queue <name>', 'main queue (its dead-letter queue is <name>.dlq)', 'smartem_backend')
    .option('--no-migrate', 'do not apply database migrations at start-up')
    .addOption(startupTimeoutOption())
    .addOption(metricsOptions()[0])
    .addOption(metricsOptions()[1])
    .action(async (opts: WorkerCommandOptions) => {
      const { runWorkerProcess } = await import('./run.ts');
      process.exitCode = await runWorkerProcess(opts);
    });
}

export interface WorkerCommandOptions {
  verbose: number;
  prefetch: number;
  maxAttempts: number;
  queue: string;
  migrate: boolean;
  /** Seconds to wait for PostgreSQL, and then for RabbitMQ, at start-up. */
  startupTimeout: number;
  metricsPort?: number;
  metricsHost: string;
}
