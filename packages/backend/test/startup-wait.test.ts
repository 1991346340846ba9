/**
 * Distributed processes started before their database: `smartem backend api` and `smartem backend worker` wait for
 * PostgreSQL with one "waiting for PostgreSQL at host:port: <reason>" line per retry, and start once it is up; when it
 * never comes, they give up after `--startup-timeout` with one clear line and exit 1, no stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSmartem, spawnSmartem, type Spawned } from './support/cli.ts';
import { createPrivatePostgres, privatePostgresUnavailable } from './support/private-postgres.ts';
import { freePort } from './support/ports.ts';
import { deleteQueues, uniqueQueueName } from './support/bus/index.ts';

// The bus is not what this is about: the shared broker when there is one, else a port nobody listens on (the
// API then keeps retrying RabbitMQ in the background and starts all the same).
async function amqpUrl(): Promise<string> {
  return process.env.AMQP_URL ?? `amqp://guest:guest@127.0.0.1:${await freePort()}`;
}

test('backend api started before PostgreSQL waits for it, then serves', {
  skip: privatePostgresUnavailable() ?? false,
}, async () => {
  const pg = await createPrivatePostgres({ start: false });
  const queue = uniqueQueueName('smartem_wait');
  try {
    const env = { DATABASE_URL: pg.url(), AMQP_URL: await amqpUrl(), SMARTEM_LOG_LEVEL: 'error' };
    const api = spawnSmartem(['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--queue', queue], env);
    const worker = spawnSmartem(['backend', 'worker', '--queue', queue, '--startup-timeout', '120'], env);
    try {
      // Both say so, as the operator sees it, before the server is started.
      await waitForLine(api, `waiting for PostgreSQL at 127.0.0.1:${pg.port}: `);
      await waitForLine(worker, `waiting for PostgreSQL at 127.0.0.1:${pg.port}: `);
      await pg.start();
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
        assert.match(
          err,
          new RegExp(`^smartem backend ${name}: waiting for PostgreSQL at 127\\.0\\.0\\.1:\\d+: connect ECONNREFUSED .*retrying in`, 'm'),
        );
        assert.doesNotMatch(err, /^\s+at /m, 'no stack trace');
      }
    } finally {
      for (const child of [api, worker]) child.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all([api.exit, worker.exit]), [0, 0], `${api.stderr()}\n${worker.stderr()}`);
    }
  } finally {
    await pg.remove();
    if (process.env.AMQP_URL) await deleteQueues(process.env.AMQP_URL, [queue, `${queue}.dlq`]);
  }
});

test('backend api and worker give up after --startup-timeout with one clear line and exit 1', async () => {
  const port = await freePort();
  const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/smartem`, AMQP_URL: await amqpUrl() };
  for (const args of [
    ['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', '--startup-timeout', '2'],
    ['backend', 'worker', '--startup-timeout', '2'],
  ]) {
    const { code, err } = await runSmartem(args, env);
    const name = `smartem backend ${args[1]}`;
    assert.equal(code, 1, err);
    assert.match(err, new RegExp(`^${name}: waiting for PostgreSQL at 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`, 'm'));
    assert.match(err, new RegExp(`^${name}: failed to start: PostgreSQL at 127\\.0\\.0\\.1:${port} is not reachable after 2 s: `, 'm'));
    assert.doesNotMatch(err, /^\s+at /m, `no stack trace:\n${err}`);
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
