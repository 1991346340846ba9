import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amqpUrlFromEnv, databaseUrlFromEnv } from './config.ts';

test('URLs win; otherwise the original POSTGRES_* / RABBITMQ_* variables build them; neither → undefined', () => {
  assert.equal(databaseUrlFromEnv({ DATABASE_URL: 'postgres://a@b/c', POSTGRES_HOST: 'x' }), 'postgres://a@b/c');
  assert.equal(
    databaseUrlFromEnv({
      POSTGRES_HOST: 'db',
      POSTGRES_USER: 'u',
      POSTGRES_PASSWORD: 'p@ss',
      POSTGRES_PORT: '30432',
      POSTGRES_DB: 'smartem_db',
    }),
    'postgres://u:p%40ss@db:30432/smartem_db',
  );
  assert.equal(databaseUrlFromEnv({}), undefined);
  assert.equal(
    amqpUrlFromEnv({ RABBITMQ_HOST: 'mq', RABBITMQ_USER: 'guest', RABBITMQ_PASSWORD: 'guest' }),
    'amqp://guest:guest@mq:5672/%2F',
  );
  assert.equal(
    amqpUrlFromEnv({ RABBITMQ_HOST: 'mq', RABBITMQ_USER: 'u', RABBITMQ_PASSWORD: 'p', RABBITMQ_PORT: '30672', RABBITMQ_VHOST: 'em' }),
    'amqp://u:p@mq:30672/em',
  );
  assert.equal(amqpUrlFromEnv({}), undefined);
});

test('a missing or invalid variable is named in the error', () => {
  assert.throws(() => databaseUrlFromEnv({ POSTGRES_HOST: 'db', POSTGRES_DB: 'x' }), /'POSTGRES_USER' is not set/);
  assert.throws(() => amqpUrlFromEnv({ RABBITMQ_HOST: 'mq', RABBITMQ_USER: 'u' }), /'RABBITMQ_PASSWORD' is not set/);
  assert.throws(
    () => amqpUrlFromEnv({ RABBITMQ_HOST: 'mq', RABBITMQ_USER: 'u', RABBITMQ_PASSWORD: 'p', RABBITMQ_PORT: 'abc' }),
    /RABBITMQ_PORT must be a port number/,
  );
});
