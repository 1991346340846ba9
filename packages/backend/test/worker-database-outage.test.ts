/**
 * PostgreSQL unreachable under a running worker (DATABASE_URL only): the worker reaches the database through a TCP proxy
 * the test takes down. Messages are put back without using up their attempts — none is dead-lettered — and are handled
 * once the database is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { openDatabase } from '../src/db/index.ts';
import { acquisition, grid, qualitypredictionmodelweight } from '../src/db/schema.ts';
import { InProcessBus } from '../src/bus/in-process.ts';
import { startWorker } from '../src/worker/worker.ts';
import { openTestDatabase } from './support/databases.ts';
import { silentLog, waitFor } from './support/bus/index.ts';
import { TcpProxy } from './support/bus/tcp-proxy.ts';

test('a database outage delays messages instead of dead-lettering them', {
  skip: process.env.DATABASE_URL ? false : 'DATABASE_URL is not set',
}, async () => {
  const database = await openTestDatabase('postgres');
  const direct = new URL(database.url as string);
  const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  await proxy.up();
  const viaProxy = new URL(direct);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const workerDb = await openDatabase({ url: viaProxy.toString(), poolSize: 2 });

  let putBack = 0;
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (chunk.toString().includes('message put back')) putBack++;
        done();
      },
    }),
  );
  const bus = new InProcessBus({ log, maxAttempts: 2 });
  const worker = await startWorker({ db: workerDb.db, bus, log: silentLog, prefetch: 2 });
  try {
    const db = database.handle.db;
    await db.insert(acquisition).values({ uuid: 'acq' });
    await db.insert(grid).values(['g1', 'g2', 'g3'].map((uuid) => ({ uuid, name: uuid, acquisition_uuid: 'acq' })));

    await proxy.down();
    const publishing = bus.publish(['g1', 'g2', 'g3'].map((uuid) => ({ event_type: 'grid.created', uuid, acquisition_uuid: 'acq' })));
    await waitFor('several deliveries put back during the outage', () => putBack >= 4, 60_000);
    assert.deepEqual(await bus.deadLetters(), [], 'more failures than maxAttempts, but nothing dead-lettered');

    await proxy.up();
    await publishing;
    for (const uuid of ['g1', 'g2', 'g3']) {
      const rows = await db.select().from(qualitypredictionmodelweight).where(eq(qualitypredictionmodelweight.grid_uuid, uuid));
      assert.equal(rows.length, 4, `${uuid} has one weight per model`);
    }
    assert.deepEqual(await bus.deadLetters(), []);
  } finally {
    await worker.stop();
    await bus.close();
    await workerDb.close();
    await proxy.down();
    await database.drop();
  }
});
