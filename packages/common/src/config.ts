/**
 * Connection settings from the environment: `DATABASE_URL` / `AMQP_URL`, or the original's `POSTGRES_*` /
 * `RABBITMQ_*` variables when the URL is not set.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function required(env: NodeJS.ProcessEnv, name: string, because: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`Required environment variable '${name}' is not set (${because} is)`);
  return value;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new ConfigError(`${name} must be a port number, got '${raw}'`);
  return value;
}

/** `DATABASE_URL`, else `POSTGRES_HOST` + `POSTGRES_USER` + `POSTGRES_DB` (+ `POSTGRES_PASSWORD`, `POSTGRES_PORT` 5432). */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.POSTGRES_HOST) return undefined;
  const user = encodeURIComponent(required(env, 'POSTGRES_USER', 'POSTGRES_HOST'));
  const db = encodeURIComponent(required(env, 'POSTGRES_DB', 'POSTGRES_HOST'));
  const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
  return `postgres://${user}${password}@${env.POSTGRES_HOST}:${port(env, 'POSTGRES_PORT', 5432)}/${db}`;
}

/** `AMQP_URL`, else `RABBITMQ_HOST` + `RABBITMQ_USER` + `RABBITMQ_PASSWORD` (+ `RABBITMQ_PORT` 5672, `RABBITMQ_VHOST` /). */
export function amqpUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AMQP_URL) return env.AMQP_URL;
  if (!env.RABBITMQ_HOST) return undefined;
  const user = encodeURIComponent(required(env, 'RABBITMQ_USER', 'RABBITMQ_HOST'));
  const password = encodeURIComponent(required(env, 'RABBITMQ_PASSWORD', 'RABBITMQ_HOST'));
  const vhost = encodeURIComponent(env.RABBITMQ_VHOST || '/');
  return `amqp://${user}:${password}@${env.RABBITMQ_HOST}:${port(env, 'RABBITMQ_PORT', 5672)}/${vhost}`;
}
