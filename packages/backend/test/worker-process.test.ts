/**
 * `smartem backend worker` as a real child process against PostgreSQL and RabbitMQ (DATABASE_URL and AMQP_URL only):
 * crashed with SIGKILL mid-stream and restarted, nothing is lost and duplicates change nothing; SIGTERM exits 0.
 */
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { acquisition, grid, qualitypredictionmodelweight } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import { createBus } from '../src/bus/index.ts';
import type { Db } from '../src/db/index.ts';
import { openTestDatabase } from './support/databases.ts';
import { deleteQueues, silentLog, uniqueQueueName, waitFor } from './support/bus/index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const amqpUrl = process.env.AMQP_URL;
const skip = amqpUrl && process.env.DATABASE_URL ? false : 'needs DATABASE_URL and AMQP_URL';

interface WorkerChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

async function startWorkerProcess(env: NodeJS.ProcessEnv, queue: string): Promise<WorkerChild> {
  const child = spawn(
    process.execPath,
    ['packages/cli/bin/smartem.js', 'backend', 'worker', '-v', '--queue', queue, '--max-attempts', '2', '--prefetch', '5'],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    'the worker to log "worker ready"',
    () => {
      if (gone) throw new Error(`worker exited during start-up:\n${stderr}`);
      return stderr.includes('"worker ready"');
    },
    120_000,
  );
  return { child, exited, stderr: () => stderr };
}

test('worker process: SIGKILL mid-stream and restart lose nothing; duplicates change nothing; SIGTERM exits 0', { skip }, async (t) => {
  const database = await openTestDatabase('postgres');
  const db = database.handle.db;
  const queue = uniqueQueueName('smartem_worker');
  const bus = await createBus({ amqpUrl, queue, log: silentLog, connectionName: `smartem-test-api-${queue}` });
  const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 50 });
  const env = { ...process.env, DATABASE_URL: database.url, AMQP_URL: amqpUrl, SMARTEM_LOG_LEVEL: undefined };
  const workers: WorkerChild[] = [];
  try {
    await db.insert(acquisition).values({ uuid: 'acq' });
    const writeGrids = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await db.transaction(async (tx) => {
          await tx.insert(grid).values({ uuid: `grid-${i}`, name: `Grid ${i}`, acquisition_uuid: 'acq' });
          await insertOutbox(tx as unknown as Db, [{ event_type: 'grid.created', uuid: `grid-${i}`, acquisition_uuid: 'acq' }]);
        });
        relay.wake();
      }
    };
    const weightsPerGrid = async () => {
      const rows = await db
        .select({ grid: qualitypredictionmodelweight.grid_uuid, n: sql<number>`count(*)::int` })
        .from(qualitypredictionmodelweight)
        .groupBy(qualitypredictionmodelweight.grid_uuid);
      return new Map(rows.map((r) => [r.grid, r.n]));
    };

    workers.push(await startWorkerProcess(env, queue));
    await writeGrids(0, 60);
    await waitFor('the first grids to get weights', async () => (await weightsPerGrid()).size >= 5);
    workers[0]?.child.kill('SIGKILL');
    await workers[0]?.exited;
    const doneBeforeKill = (await weightsPerGrid()).size;

    // Written while no worker runs, then the same events again (a duplicate publish) and one nobody handles.
    await writeGrids(60, 100);
    await relay.flush();
    await bus.publish(Array.from({ length: 20 }, (_, i) => ({ event_type: 'grid.created', uuid: `grid-${i}`, acquisition_uuid: 'acq' })));
    await bus.publish([{ event_type: 'microscope.exploded', uuid: 'x' }]);

    // The restart configures itself from the original's variables instead of the URLs.
    const pgUrl = new URL(database.url as string);
    const mq = new URL(amqpUrl as string);
    const originalEnv = {
      ...env,
      DATABASE_URL: undefined,
      AMQP_URL: undefined,
      POSTGRES_HOST: pgUrl.hostname,
      POSTGRES_PORT: pgUrl.port || '5432',
      POSTGRES_USER: decodeURIComponent(pgUrl.username),
      POSTGRES_PASSWORD: decodeURIComponent(pgUrl.password),
      POSTGRES_DB: pgUrl.pathname.slice(1),
      RABBITMQ_HOST: mq.hostname,
      RABBITMQ_PORT: mq.port || '5672',
      RABBITMQ_USER: decodeURIComponent(mq.username),
      RABBITMQ_PASSWORD: decodeURIComponent(mq.password),
    };
    workers.push(await startWorkerProcess(originalEnv, queue));
    await waitFor('all 100 grids to get weights', async () => (await weightsPerGrid()).size === 100, 120_000);
    await waitFor('the unknown event in the dead-letter queue', async () => (await bus.deadLetters()).length === 1);
    // Every one of the 20 duplicates reaches a grid that already has (or is given by its first delivery) its weights.
    const restarted = workers[1] as WorkerChild;
    const noOps = () =>
      restarted
        .stderr()
        .split('\n')
        .filter((line) => line.includes('"inserted":0')).length;
    await waitFor('the 20 duplicate deliveries handled as no-ops', () => noOps() >= 20, 120_000);
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0, `SIGTERM exits 0; stderr:\n${restarted.stderr().slice(-2000)}`);
    assert.match(restarted.stderr(), /"worker stopped"/);

    const perGrid = await weightsPerGrid();
    assert.equal(perGrid.size, 100);
    assert.deepEqual([...new Set(perGrid.values())], [4], 'every grid has exactly one weight row per model');
    const [letter] = await bus.deadLetters();
    assert.equal(letter?.error, 'no handler registered for event type "microscope.exploded"');
    assert.deepEqual(letter?.message, { event_type: 'microscope.exploded', uuid: 'x' });
    t.diagnostic(
      `SIGKILL after ${doneBeforeKill}/60 grids had weights; the restarted worker did the rest and ${noOps()} no-op redeliveries`,
    );
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await relay.stop();
    await bus.close();
    await deleteQueues(amqpUrl as string, [queue, `${queue}.dlq`]).catch(() => {});
    await database.drop();
  }
});

test('worker process without a database or broker configured exits 2 naming the variables', async () => {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^(DATABASE_URL|AMQP_URL|POSTGRES_|RABBITMQ_)/.test(name)) delete env[name];
  const run = promisify(execFile);
  const failed = await run(process.execPath, ['packages/cli/bin/smartem.js', 'backend', 'worker'], { cwd: repoRoot, env }).then(
    () => undefined,
    (err: { code?: number; stderr?: string }) => err,
  );
  assert.equal(failed?.code, 2);
  assert.match(failed?.stderr ?? '', /set DATABASE_URL \(or POSTGRES_\*\) and AMQP_URL \(or RABBITMQ_\*\)/);

  const partial = await run(process.execPath, ['packages/cli/bin/smartem.js', 'backend', 'worker'], {
    cwd: repoRoot,
    env: { ...env, POSTGRES_HOST: 'db', POSTGRES_DB: 'smartem' },
  }).then(
    () => undefined,
    (err: { code?: number; stderr?: string }) => err,
  );
  assert.equal(partial?.code, 2);
  assert.match(partial?.stderr ?? '', /Required environment variable 'POSTGRES_USER' is not set/);
});
