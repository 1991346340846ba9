// The servers' own failures in distributed mode, with the real servers: `smartem agent watch` catches up on a
// simulated visit through two `smartem backend api` replicas (PostgreSQL + outbox relay → RabbitMQ) behind a
// round-robin proxy while a `smartem backend worker` handles the events, and in the middle of it PostgreSQL is
// restarted, or RabbitMQ is restarted, or one of the API replicas is killed — one visit each, one after the other on
// the same processes. After each the database holds exactly the visits' entities (counts per kind, no duplicate) and
// every event written to the outbox was handled by the worker at least once.
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
import { withRabbit } from '../../backend/test/support/bus/index.ts';
import { startAgent, startApi, startSmartem, type Backend, type Child } from './support/processes.ts';
import { expectedFromVisit } from './support/visit-check.ts';
import { settleAndCheck, tempDir } from './support/scenario.ts';

/** 2 grids × 4 squares × 6 holes × 3 shots: 144 micrographs, a catch-up long enough for a fault in its middle. */
const VISIT = { squares: 4, holesPerSquare: 6, shotsPerHole: 3, grids: 2 } as const;

const skip = privatePostgresUnavailable() ?? privateRabbitUnavailable() ?? false;
let pg: PrivatePostgres | undefined;
let rabbit: PrivateRabbit | undefined;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let stack: Stack;
/** Entities the visits played so far put in the database. */
const totals = { acquisition: 0, grid: 0, gridsquare: 0, foilhole: 0, micrograph: 0 };

before(async () => {
  if (skip) return;
  tmp = await tempDir('smartem-distributed-faults-');
  [pg, rabbit] = await Promise.all([createPrivatePostgres(), createPrivateRabbit()]);
  stack = await startStack(2);
});
after(async () => {
  await stack?.stop();
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

/** API replicas and the worker that exited without being asked to, with the end of their output. */
const unexpectedExits: string[] = [];

interface Stack {
  /** What the agent is given: the one API, or the proxy in front of the replicas. */
  url: string;
  queue: string;
  apis: Backend[];
  worker: Child;
  proxy?: TcpProxy;
  handle: DatabaseHandle;
  query<T>(text: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** A fresh database with the outbox recorder, `replicas` API processes (behind a proxy when several) and a worker. */
async function startStack(replicas: number): Promise<Stack> {
  const env = { DATABASE_URL: await pg!.createDatabase('smartem_faults'), AMQP_URL: rabbit!.url, SMARTEM_LOG_LEVEL: 'error' };
  const handle = await openDatabase({ url: env.DATABASE_URL, poolSize: 2 });
  await migrateDatabase(handle);
  const pool = (handle.db as unknown as { $client: { query(text: string): Promise<{ rows: unknown[] }> } }).$client;
  const query = async <T>(text: string) => (await pool.query(text)).rows as T[];
  await query(RECORD_OUTBOX);

  const queue = 'smartem_faults';
  // -v: the worker logs "event received" with the event's type and uuid for every entity event it handles.
  const worker = startSmartem(['backend', 'worker', '--queue', queue, '--no-migrate', '-v'], { ...env, SMARTEM_LOG_LEVEL: 'info' });
  const apis = await Promise.all(Array.from({ length: replicas }, () => startApi(env, ['--queue', queue, '--no-migrate']))).catch(
    async (err: unknown) => {
      await worker.kill();
      throw err;
    },
  );
  let stopping = false;
  for (const [name, child] of [['worker', worker], ...apis.map((api, i) => [`api ${i + 1}`, api] as const)] as const) {
    void child.exited.then((code) => {
      if (!stopping && child.proc.signalCode !== 'SIGKILL') unexpectedExits.push(`${name} exited ${code}:\n${child.output().slice(-3000)}`);
    });
  }
  let proxy: TcpProxy | undefined;
  const stop = async () => {
    stopping = true;
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
    queue,
    apis,
    worker,
    proxy,
    handle,
    query,
    stop,
  };
}

/** Wall time per phase, for the test's diagnostics (not asserted). */
function stopwatch(): { lap(name: string): void; toString(): string } {
  let last = Date.now();
  const laps: string[] = [];
  return {
    lap(name) {
      laps.push(`${name} ${((Date.now() - last) / 1000).toFixed(1)} s`);
      last = Date.now();
    },
    toString: () => laps.join(', '),
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

const count = async (table: string) => Number((await stack.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** Generates the visit, then starts the agent on it (a catch-up: every file is there before the agent looks). */
async function catchUp(name: string, seed: number): Promise<{ visit: GeneratedVisit; dir: string; state: string; agent: Child }> {
  const dir = join(tmp.path, name);
  const state = join(tmp.path, `${name}-state`);
  const visit = await generateVisit({ out: dir, seed, ...VISIT });
  // A small pending bound: the catch-up goes in many small steps, each a round trip through the API.
  const agent = startAgent(dir, stack.url, state, ['--max-pending', '20']);
  return { visit, dir, state, agent };
}

/** `event_type uuid` → how many times, for the outbox (written) and the worker's log (handled). */
async function eventCounts(): Promise<{ written: Map<string, number>; handled: Map<string, number> }> {
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
 * The end state: the visit's entities exactly (through the API, by natural id, and counted in the database with the
 * visits before it), the outbox drained with nothing dead-lettered, and every event written so far handled at least
 * once. Returns a summary line.
 */
async function checkEndState(run: Awaited<ReturnType<typeof catchUp>>): Promise<string> {
  const expected = expectedFromVisit(run.visit);
  try {
    assert.deepEqual(unexpectedExits, [], 'every backend process is still running');
    await settleAndCheck(stack.url, run.agent, run.dir, run.state, expected);
  } finally {
    await run.agent.stop(); // already stopped when settled; on a failure it would keep the test file running
  }
  totals.acquisition += 1;
  totals.grid += expected.grids.length;
  totals.gridsquare += expected.gridsquares.length;
  totals.foilhole += expected.foilholes.length;
  totals.micrograph += expected.micrographs.length;
  const counts = {
    acquisition: await count('acquisition'),
    grid: await count('grid'),
    gridsquare: await count('gridsquare'),
    foilhole: await count('foilhole'),
    micrograph: await count('micrograph'),
  };
  assert.deepEqual(counts, totals);
  await until('the outbox drained and every event handled', async () => {
    return (await count('outbox')) === 0 && unhandled(await eventCounts()).length === 0;
  }).catch(() => {});
  const events = await eventCounts();
  assert.deepEqual(unexpectedExits, [], 'every backend process is still running');
  assert.deepEqual(unhandled(events), [], 'every event written to the outbox was handled at least once');
  assert.equal(await count('outbox'), 0, 'the outbox is drained');
  assert.equal(await count('outbox_dead_letter'), 0, 'no event dead-lettered by the relay');
  const dlq = await withRabbit(rabbit!.url, (c) => c.queueDeclare({ queue: `${stack.queue}.dlq`, passive: true }));
  assert.equal(dlq.messageCount, 0, 'no message dead-lettered by the worker');
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const extra = [...events.handled].filter(([key]) => !events.written.has(key));
  assert.deepEqual(extra, [], 'the worker handled nothing that was not written');
  return (
    `entities ${JSON.stringify(counts)}; events written ${sum(events.written)} (${events.written.size} distinct), ` +
    `handled ${sum(events.handled)} (${sum(events.handled) - sum(events.written)} redelivered)`
  );
}

test('PostgreSQL restarted in the middle of an agent catch-up: exactly the visits, every event handled', { skip }, async (t) => {
  const watch = stopwatch();
  const run = await catchUp('pg-restart', 31);
  await until('the first micrographs stored', async () => (await count('micrograph')) > totals.micrograph);
  const stored = (await count('micrograph')) - totals.micrograph;
  await pg!.stop();
  const during = await fetch(`${stack.url}/grids`);
  const problem = (await during.json()) as { status: number; detail: string };
  await sleep(1000);
  await pg!.start();
  assert.deepEqual([during.status, problem.detail], [503, 'database unavailable; try again shortly'], 'the API says it is unavailable');
  t.diagnostic(`PostgreSQL restarted with ${stored} of ${run.visit.grids.flatMap((g) => g.micrographIds).length} micrographs stored`);
  watch.lap('catch-up to the fault, fault');
  t.diagnostic(await checkEndState(run));
  watch.lap('settled and checked');
  t.diagnostic(`${watch}`);
  assert.match(run.agent.output(), /backend unavailable/, 'the agent saw the API fail while PostgreSQL was down');
});

test('RabbitMQ restarted while the relays and the worker are busy: exactly the visits, every event handled', { skip }, async (t) => {
  const watch = stopwatch();
  const handledAtStart = (await eventCounts()).handled.size;
  const run = await catchUp('rabbit-restart', 32);
  await until('the worker handling events', async () => (await eventCounts()).handled.size >= handledAtStart + 20);
  const handledBefore = (await eventCounts()).handled.size - handledAtStart;
  const outboxBefore = await count('outbox');
  await rabbit!.stop();
  // Events the API commits while the broker is away wait in the outbox.
  let waiting = 0;
  const watching = (async () => {
    for (let i = 0; i < 100 && waiting === 0; i++) {
      waiting = await count('outbox');
      await sleep(100);
    }
  })();
  await rabbit!.start();
  await watching;
  t.diagnostic(`RabbitMQ restarted after ${handledBefore} events handled (${outboxBefore} in the outbox); ${waiting} waited in the outbox`);
  assert.ok(waiting > 0, 'the relay had events to publish while the broker was down');
  watch.lap('catch-up to the fault, fault');
  t.diagnostic(await checkEndState(run));
  watch.lap('settled and checked');
  t.diagnostic(`${watch}`);
  assert.match(stack.worker.output(), /RabbitMQ connection error/, 'the worker lost its connection');
});

test('one of two API replicas killed (SIGKILL) mid-catch-up: exactly the visits, every event handled', { skip }, async (t) => {
  const watch = stopwatch();
  const run = await catchUp('replica-kill', 33);
  await until('the first micrographs stored', async () => (await count('micrograph')) > totals.micrograph);
  const stored = (await count('micrograph')) - totals.micrograph;
  await stack.apis[0]!.kill();
  t.diagnostic(`replica 1 killed with ${stored} micrographs stored`);
  watch.lap('catch-up to the fault, fault');
  t.diagnostic(await checkEndState(run));
  watch.lap('settled and checked');
  t.diagnostic(`${watch}`);
});
