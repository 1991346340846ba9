// The servers' own failures in distributed mode, with the real servers: `smartem agent watch` catches up on a
// simulated visit through `smartem backend api` (PostgreSQL + outbox relay → RabbitMQ) while a `smartem backend
// worker` handles the events, and in the middle of it PostgreSQL is restarted, or RabbitMQ is restarted, or one of two
// API replicas is killed. Afterwards the database holds exactly the visit's entities (counts per kind, no duplicate)
// and every event written to the outbox was handled by the worker at least once.
//
// PostgreSQL and RabbitMQ are private instances started here (the shared servers are never restarted); the test is
// skipped where their binaries are not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateVisit, type GeneratedVisit } from '@smartem/epu-sim';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '@smartem/backend';
import { createPrivatePostgres, privatePostgresUnavailable, type PrivatePostgres } from '../../backend/test/support/private-postgres.ts';
import { createPrivateRabbit, privateRabbitUnavailable, type PrivateRabbit } from '../../backend/test/support/private-rabbitmq.ts';
import { TcpProxy } from '../../backend/test/support/bus/tcp-proxy.ts';
import { startAgent, startApi, startSmartem, type Backend, type Child } from './support/processes.ts';
import { expectedFromVisit } from './support/visit-check.ts';
import { settleAndCheck, tempDir } from './support/scenario.ts';

/** 2 grids × 4 squares × 6 holes × 3 shots: 144 micrographs, a catch-up long enough for a fault in its middle. */
const VISIT = { squares: 4, holesPerSquare: 6, shotsPerHole: 3, grids: 2 } as const;

const skip = privatePostgresUnavailable() ?? privateRabbitUnavailable() ?? false;
let pg: PrivatePostgres | undefined;
let rabbit: PrivateRabbit | undefined;
let tmp: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  if (skip) return;
  tmp = await tempDir('smartem-distributed-faults-');
  [pg, rabbit] = await Promise.all([createPrivatePostgres(), createPrivateRabbit()]);
});
after(async () => {
  await Promise.allSettled([pg?.remove(), rabbit?.remove()]);
  await tmp?.remove();
});

// Every event written to the outbox, recorded by the database itself in the writing transaction (so a rolled-back
// write records nothing), to compare with what the worker says it handled.
const RECORD_OUTBOX = `
  CREATE TABLE test_outbox_written (event_type text NOT NULL, uuid text);
  CREATE FUNCTION test_outbox_written() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO test_outbox_written VALUES (NEW.payload->>'event_type', NEW.payload->>'uuid');
    RETURN NEW;
  END $$;
  CREATE TRIGGER test_outbox_written AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION test_outbox_written();`;

interface Stack {
  /** What the agent is given: the one API, or the proxy in front of the replicas. */
  url: string;
  apis: Backend[];
  worker: Child;
  proxy?: TcpProxy;
  handle: DatabaseHandle;
  query<T>(text: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** A fresh database with the outbox recorder, `replicas` API processes (behind a proxy when several) and a worker. */
async function startStack(name: string, replicas: number): Promise<Stack> {
  const env = { DATABASE_URL: await pg!.createDatabase(`faults_${name}`), AMQP_URL: rabbit!.url, SMARTEM_LOG_LEVEL: 'error' };
  const handle = await openDatabase({ url: env.DATABASE_URL, poolSize: 2 });
  await migrateDatabase(handle);
  const pool = (handle.db as unknown as { $client: { query(text: string): Promise<{ rows: unknown[] }> } }).$client;
  const query = async <T>(text: string) => (await pool.query(text)).rows as T[];
  await query(RECORD_OUTBOX);

  const queue = `smartem_faults_${name}`;
  // -v: the worker logs "event received" with the event's type and uuid for every entity event it handles.
  const worker = startSmartem(['backend', 'worker', '--queue', queue, '--no-migrate', '-v'], { ...env, SMARTEM_LOG_LEVEL: 'info' });
  const apis = await Promise.all(Array.from({ length: replicas }, () => startApi(env, ['--queue', queue, '--no-migrate']))).catch(
    async (err: unknown) => {
      await worker.kill();
      throw err;
    },
  );
  let proxy: TcpProxy | undefined;
  const stop = async () => {
    await Promise.all([...apis, worker].map((child) => child.stop()));
    await proxy?.down();
    await handle.close();
  };
  try {
    await until('the worker consuming', () => worker.output().includes('consuming'), 120_000);
    if (replicas > 1) {
      proxy = new TcpProxy(...apis.map((api) => ({ host: '127.0.0.1', port: api.port })));
      await proxy.up();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: proxy ? `http://127.0.0.1:${proxy.port}` : apis[0]!.url,
    apis,
    worker,
    proxy,
    handle,
    query,
    stop,
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const count = async (stack: Stack, table: string) => Number((await stack.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** Generates the visit, then starts the agent on it (a catch-up: every file is there before the agent looks). */
async function catchUp(
  stack: Stack,
  name: string,
  seed: number,
): Promise<{ visit: GeneratedVisit; dir: string; state: string; agent: Child }> {
  const dir = join(tmp.path, name);
  const state = join(tmp.path, `${name}-state`);
  const visit = await generateVisit({ out: dir, seed, ...VISIT });
  // A small pending bound: the catch-up goes in many small steps, each a round trip through the API.
  const agent = startAgent(dir, stack.url, state, ['--max-pending', '20']);
  return { visit, dir, state, agent };
}

/** `event_type uuid` → how many times, for the outbox (written) and the worker's log (handled). */
async function eventCounts(stack: Stack): Promise<{ written: Map<string, number>; handled: Map<string, number> }> {
  const written = new Map<string, number>();
  for (const row of await stack.query<{ event_type: string; uuid: string | null }>('SELECT event_type, uuid FROM test_outbox_written')) {
    const key = `${row.event_type} ${row.uuid}`;
    written.set(key, (written.get(key) ?? 0) + 1);
  }
  const handled = new Map<string, number>();
  for (const line of stack.worker.output().split('\n')) {
    if (!line.includes('"event received"')) continue;
    const entry = JSON.parse(line) as { event_type: string; uuid: string };
    const key = `${entry.event_type} ${entry.uuid}`;
    handled.set(key, (handled.get(key) ?? 0) + 1);
  }
  return { written, handled };
}

/** Events written more often than handled: lost ones. */
function unhandled({ written, handled }: Awaited<ReturnType<typeof eventCounts>>): string[] {
  return [...written]
    .filter(([key, n]) => (handled.get(key) ?? 0) < n)
    .map(([key, n]) => `${key} written ${n}, handled ${handled.get(key) ?? 0}`);
}

/**
 * The end state: the visit's entities exactly (through the API, by natural id, and counted in the database), the
 * outbox drained with nothing dead-lettered, and every written event handled at least once. Returns a summary line.
 */
async function checkEndState(stack: Stack, run: Awaited<ReturnType<typeof catchUp>>): Promise<string> {
  const expected = expectedFromVisit(run.visit);
  await settleAndCheck(stack.url, run.agent, run.dir, run.state, expected);
  const counts = {
    acquisition: await count(stack, 'acquisition'),
    grid: await count(stack, 'grid'),
    gridsquare: await count(stack, 'gridsquare'),
    foilhole: await count(stack, 'foilhole'),
    micrograph: await count(stack, 'micrograph'),
  };
  assert.deepEqual(counts, {
    acquisition: 1,
    grid: expected.grids.length,
    gridsquare: expected.gridsquares.length,
    foilhole: expected.foilholes.length,
    micrograph: expected.micrographs.length,
  });
  await until('the outbox drained and every event handled', async () => {
    return (await count(stack, 'outbox')) === 0 && unhandled(await eventCounts(stack)).length === 0;
  }).catch(() => {});
  const events = await eventCounts(stack);
  assert.deepEqual(unhandled(events), [], 'every event written to the outbox was handled at least once');
  assert.equal(await count(stack, 'outbox'), 0, 'the outbox is drained');
  assert.equal(await count(stack, 'outbox_dead_letter'), 0, 'no event dead-lettered by the relay');
  assert.equal(await count(stack, 'bus_dead_letter'), 0, 'no message dead-lettered by the worker');
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const extra = [...events.handled].filter(([key]) => !events.written.has(key));
  assert.deepEqual(extra, [], 'the worker handled nothing that was not written');
  return (
    `entities ${JSON.stringify(counts)}; events written ${sum(events.written)} (${events.written.size} distinct), ` +
    `handled ${sum(events.handled)} (${sum(events.handled) - sum(events.written)} redelivered)`
  );
}

test('PostgreSQL restarted in the middle of an agent catch-up: exactly the visit, every event handled', { skip }, async (t) => {
  const stack = await startStack('pg_restart', 1);
  try {
    const run = await catchUp(stack, 'pg-restart', 31);
    await until('the first micrographs stored', async () => (await count(stack, 'micrograph')) > 0);
    const before = await count(stack, 'micrograph');
    await pg!.stop();
    const during = await fetch(`${stack.url}/grids`);
    const problem = (await during.json()) as { status: number; detail: string };
    await sleep(1000);
    await pg!.start();
    assert.deepEqual([during.status, problem.detail], [503, 'database unavailable; try again shortly'], 'the API says it is unavailable');
    t.diagnostic(`PostgreSQL restarted with ${before} of ${run.visit.grids.flatMap((g) => g.micrographIds).length} micrographs stored`);
    t.diagnostic(await checkEndState(stack, run));
    assert.match(run.agent.output(), /backend unavailable/, 'the agent saw the API fail while PostgreSQL was down');
  } finally {
    await stack.stop();
  }
});

test('RabbitMQ restarted while the relay and a worker are busy: exactly the visit, every event handled', { skip }, async (t) => {
  const stack = await startStack('rabbit_restart', 1);
  try {
    const run = await catchUp(stack, 'rabbit-restart', 32);
    await until('the worker handling events', async () => (await eventCounts(stack)).handled.size >= 20);
    const handledBefore = (await eventCounts(stack)).handled.size;
    const outboxBefore = await count(stack, 'outbox');
    await rabbit!.stop();
    // Events the API commits while the broker is away wait in the outbox.
    let waiting = 0;
    const watching = (async () => {
      for (let i = 0; i < 100 && waiting === 0; i++) {
        waiting = await count(stack, 'outbox');
        await sleep(100);
      }
    })();
    await rabbit!.start();
    await watching;
    t.diagnostic(
      `RabbitMQ restarted after ${handledBefore} events handled (${outboxBefore} in the outbox); ${waiting} waited in the outbox`,
    );
    assert.ok(waiting > 0, 'the relay had events to publish while the broker was down');
    t.diagnostic(await checkEndState(stack, run));
    assert.match(stack.worker.output(), /RabbitMQ connection error/, 'the worker lost its connection');
  } finally {
    await stack.stop();
  }
});

test('one of two API replicas killed (SIGKILL) mid-catch-up: exactly the visit, every event handled', { skip }, async (t) => {
  const stack = await startStack('replica_kill', 2);
  try {
    const run = await catchUp(stack, 'replica-kill', 33);
    await until('the first micrographs stored', async () => (await count(stack, 'micrograph')) > 0);
    const before = await count(stack, 'micrograph');
    await stack.apis[0]!.kill();
    t.diagnostic(`replica 1 killed with ${before} micrographs stored`);
    t.diagnostic(await checkEndState(stack, run));
  } finally {
    await stack.stop();
  }
});
