/**
 * Distributed processes started before their servers: `smartem backend api` and `smartem backend worker` wait for
 * PostgreSQL, then for RabbitMQ, with one "waiting for <server> at host:port: <reason>" line per retry, and start once
 * they are up; when one never comes, they (and `smartem backend migrate`, for PostgreSQL) give up after
 * `--startup-timeout` with one clear line and exit 1, no stack trace, no password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSmartem, spawnSmartem, type Spawned } from './support/cli.ts';
import { createPrivatePostgres, privatePostgresUnavailable } from './support/private-postgres.ts';
import { createPrivateRabbit, privateRabbitUnavailable } from './support/private-rabbitmq.ts';
import { freePort } from './support/ports.ts';
import { deleteQueues, uniqueQueueName } from './support/bus/index.ts';
import { TcpProxy } from './support/bus/tcp-proxy.ts';
import { createScratchPostgres } from './support/databases.ts';
import { MIGRATIONS_FOLDER } from '../src/db/index.ts';
import { checkedInMigrations } from '../src/db/pending-migrations.ts';

/** A RabbitMQ that is not there yet: the shared broker behind a proxy that is down, else a private node not started. */
async function lateBroker(): Promise<{ url: string; port: number; start(): Promise<void>; remove(): Promise<void> }> {
  const shared = process.env.AMQP_URL;
  if (!shared) {
    const node = await createPrivateRabbit({ start: false });
    return { url: node.url, port: node.port, start: () => node.start(), remove: () => node.remove() };
  }
  const direct = new URL(shared);
  const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5672) });
  proxy.port = await freePort();
  const viaProxy = new URL(direct);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  return { url: viaProxy.toString(), port: proxy.port, start: () => proxy.up(), remove: () => proxy.down() };
}

test('backend api and worker started before PostgreSQL and RabbitMQ wait for them, then serve', {
  skip: privatePostgresUnavailable() ?? (process.env.AMQP_URL ? false : (privateRabbitUnavailable() ?? false)),
}, async () => {
  const pg = await createPrivatePostgres({ start: false });
  const broker = await lateBroker();
  const queue = uniqueQueueName('smartem_wait');
  try {
    const env = { DATABASE_URL: pg.url(), AMQP_URL: broker.url, SMARTEM_LOG_LEVEL: 'error' };
    const api = spawnSmartem(['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--queue', queue], env);
    const worker = spawnSmartem(['backend', 'worker', '--queue', queue, '--startup-timeout', '120'], env);
    try {
      // Both say so, as the operator sees it, before the server is started: PostgreSQL first, then RabbitMQ.
      await waitForLine(api, `waiting for PostgreSQL at 127.0.0.1:${pg.port}: `);
      await waitForLine(worker, `waiting for PostgreSQL at 127.0.0.1:${pg.port}: `);
      await pg.start();
      await waitForLine(api, `waiting for RabbitMQ at 127.0.0.1:${broker.port}: `);
      await waitForLine(worker, `waiting for RabbitMQ at 127.0.0.1:${broker.port}: `);
      await broker.start();
      const url = await api.listening;
      await waitForLine(worker, 'consuming');
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      const body = (await health.json()) as { services: { database: { status: string } } };
      assert.equal(body.services.database.status, 'ok', JSON.stringify(body));
      for (const [name, child] of [
        ['api', api],
        ['worker', worker],
      ] as const) {
        const err = child.stderr();
        for (const server of ['PostgreSQL', 'RabbitMQ']) {
          assert.match(
            err,
            new RegExp(`^smartem backend ${name}: waiting for ${server} at 127\\.0\\.0\\.1:\\d+: connect ECONNREFUSED .*retrying in`, 'm'),
          );
        }
        assert.doesNotMatch(err, /^\s+at /m, 'no stack trace');
      }
    } finally {
      for (const child of [api, worker]) child.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all([api.exit, worker.exit]), [0, 0], `${api.stderr()}\n${worker.stderr()}`);
    }
  } finally {
    await pg.remove();
    await broker.remove();
    if (process.env.AMQP_URL) await deleteQueues(process.env.AMQP_URL, [queue, `${queue}.dlq`]);
  }
});

test('backend api, worker and migrate give up on PostgreSQL after --startup-timeout with one clear line and exit 1', async () => {
  const port = await freePort();
  const env = {
    DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${port}/smartem`,
    AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
  };
  for (const args of [
    ['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--startup-timeout', '2'],
    ['backend', 'worker', '--startup-timeout', '2'],
    ['backend', 'migrate', '--startup-timeout', '2'],
  ]) {
    const { code, err } = await runSmartem(args, env);
    const name = `smartem backend ${args[1]}`;
    assert.equal(code, 1, err);
    assert.match(err, new RegExp(`^${name}: waiting for PostgreSQL at 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`, 'm'));
    assert.match(err, new RegExp(`^${name}: (failed to start: )?PostgreSQL at 127\\.0\\.0\\.1:${port} is not reachable after 2 s: `, 'm'));
    assert.doesNotMatch(err, /^\s+at /m, `no stack trace:\n${err}`);
    assert.doesNotMatch(err, /s3cret/, 'no password');
  }
});

test('backend api and worker give up on RabbitMQ after --startup-timeout with one clear line and exit 1', {
  skip: process.env.DATABASE_URL ? false : 'DATABASE_URL is not set',
}, async () => {
  const port = await freePort();
  const env = { DATABASE_URL: process.env.DATABASE_URL, AMQP_URL: `amqp://smartem:s3cret@127.0.0.1:${port}` };
  for (const args of [
    ['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--startup-timeout', '2'],
    ['backend', 'worker', '--startup-timeout', '2'],
  ]) {
    const { code, err } = await runSmartem(args, env);
    const name = `smartem backend ${args[1]}`;
    assert.equal(code, 1, err);
    assert.match(err, new RegExp(`^${name}: waiting for RabbitMQ at 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`, 'm'));
    assert.match(err, new RegExp(`^${name}: failed to start: RabbitMQ at 127\\.0\\.0\\.1:${port} is not reachable after 2 s: `, 'm'));
    assert.doesNotMatch(err, /^\s+at /m, `no stack trace:\n${err}`);
    assert.doesNotMatch(err, /s3cret/, 'no password');
  }
});

test('backend api with --no-migrate waits for `smartem backend migrate` to have run, then serves', {
  skip: process.env.DATABASE_URL && process.env.AMQP_URL ? false : 'DATABASE_URL and AMQP_URL are not set',
}, async () => {
  const scratch = await createScratchPostgres();
  const queue = uniqueQueueName('smartem_nomig');
  const env = { DATABASE_URL: scratch.url, AMQP_URL: process.env.AMQP_URL, SMARTEM_LOG_LEVEL: 'error' };
  const api = spawnSmartem(['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--no-migrate', '--queue', queue], env);
  try {
    const address = `${new URL(scratch.url).hostname}:${new URL(scratch.url).port || 5432}`;
    const all = checkedInMigrations(MIGRATIONS_FOLDER);
    const pending = `${all.length} migrations pending (${all[0]?.tag} … ${all.at(-1)?.tag}); run \`smartem backend migrate\``;
    await waitForLine(api, `waiting for the database at ${address}: ${pending}`);
    const migrate = await runSmartem(['backend', 'migrate'], env);
    assert.equal(migrate.code, 0, migrate.err);
    const url = await api.listening;
    assert.equal((await fetch(`${url}/acquisitions`)).status, 200);
    assert.doesNotMatch(api.stderr(), /^\s+at /m, 'no stack trace');
  } finally {
    api.child.kill('SIGTERM');
    assert.equal(await api.exit, 0, api.stderr());
    await scratch.drop();
    await deleteQueues(process.env.AMQP_URL as string, [queue, `${queue}.dlq`]);
  }
});

/** Waits until the process has printed `text` (stdout or stderr). */
async function waitForLine(started: Spawned, text: string): Promise<void> {
  const output = () => started.stdout() + started.stderr();
  for (let i = 0; i < 1200 && !output().includes(text); i++) {
    if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode}: ${output()}`);
    await sleep(100);
  }
  assert.ok(output().includes(text), `no "${text}" line:\n${output()}`);
}
