/** `GET /dead-letters`: the dead-letter queue visible in the API. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/app.ts';
import { InProcessBus } from '../src/bus/in-process.ts';
import { startWorker } from '../src/worker/worker.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import type { BusMessage } from '../src/bus/types.ts';
import { openTestDatabase, type TestDatabase } from './support/databases.ts';
import { silentLog, waitFor } from './support/bus/index.ts';

let database: TestDatabase;
let bus: InProcessBus;
let app: FastifyInstance;

before(async () => {
  database = await openTestDatabase('pglite');
  bus = new InProcessBus({ log: silentLog, maxAttempts: 2 });
  app = await buildApp({ db: database.handle.db, log: silentLog, bus });
});
after(async () => {
  await app?.close();
  await bus?.close();
  await database?.drop();
});

test('lists what the worker gave up on, oldest first, with the reason and attempts; limit bounds it', async () => {
  const worker = await startWorker({ db: database.handle.db, bus, log: silentLog });
  await bus.publish([
    { event_type: 'nobody.handles.this', uuid: 'a' },
    { event_type: 'foilhole.created', foilhole_id: '7' },
    { event_type: 'gridsquare.created', uuid: 'fine', grid_uuid: 'g', gridsquare_id: '1' },
  ]);
  await waitFor('two dead letters', async () => (await bus.deadLetters()).length === 2);
  await worker.stop();

  const all = await app.inject({ method: 'GET', url: '/dead-letters' });
  assert.equal(all.statusCode, 200);
  const body = all.json() as {
    queue: string;
    count: number;
    dead_letters: Array<{ message: unknown; error: string; attempts: number; failed_at: string }>;
  };
  assert.equal(body.queue, 'smartem_backend.dlq');
  assert.equal(body.count, 2);
  assert.deepEqual(
    body.dead_letters.map((l) => [l.message, l.error, l.attempts]),
    [
      [{ event_type: 'nobody.handles.this', uuid: 'a' }, 'no handler registered for event type "nobody.handles.this"', 1],
      [{ event_type: 'foilhole.created', foilhole_id: '7' }, 'foilhole.created: field "uuid" must be a non-empty string, got nothing', 1],
    ],
  );

  const one = await app.inject({ method: 'GET', url: '/dead-letters?limit=1' });
  assert.equal((one.json() as { count: number }).count, 1);

  const bad = await app.inject({ method: 'GET', url: '/dead-letters?limit=0' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /limit/);
});

/** A broker that nacks one event every time. */
class RefusingBus extends InProcessBus {
  override async publish(messages: readonly BusMessage[]): Promise<void> {
    if (messages.some((m) => m.uuid === 'refused')) throw new Error('nacked by the broker');
    await super.publish(messages);
  }
}

test('lists under `outbox` the events the outbox relay could never publish', async () => {
  const relayBus = new RefusingBus({ log: silentLog });
  const relay = startOutboxRelay({ db: database.handle.db, bus: relayBus, log: silentLog, pollMs: 20 });
  await insertOutbox(
    database.handle.db,
    ['before', 'refused', 'after'].map((uuid) => ({ event_type: 'acquisition.created', uuid })),
  );
  relay.wake();
  await waitFor('the refused event to be dead-lettered', async () => {
    const res = await app.inject({ method: 'GET', url: '/dead-letters' });
    return (res.json() as { outbox: { count: number } }).outbox.count === 1;
  });
  await relay.stop();
  await relayBus.close();
  const body = (await app.inject({ method: 'GET', url: '/dead-letters' })).json() as {
    outbox: { table: string; dead_letters: Array<{ event_type: string; message: unknown; error: string; attempts: number }> };
  };
  assert.equal(body.outbox.table, 'outbox_dead_letter');
  const [letter] = body.outbox.dead_letters;
  assert.equal(letter?.event_type, 'acquisition.created');
  assert.deepEqual(letter?.message, { event_type: 'acquisition.created', uuid: 'refused' });
  assert.match(letter?.error ?? '', /nacked by the broker/);
  assert.ok((letter?.attempts ?? 0) >= 3);
});

test('a process without a bus answers 503 with a problem body', async () => {
  const busless = await buildApp({ db: database.handle.db, log: silentLog });
  try {
    const res = await busless.inject({ method: 'GET', url: '/dead-letters' });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().detail as string, /no message bus/);
  } finally {
    await busless.close();
  }
});
