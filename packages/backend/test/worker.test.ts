/** The worker on PGlite (always) and PostgreSQL (DATABASE_URL) with the in-process bus: outbox → relay → bus → handlers. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eq } from 'drizzle-orm';
import { acquisition, grid, qualitypredictionmodelweight } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import { InProcessBus } from '../src/bus/in-process.ts';
import { startWorker } from '../src/worker/worker.ts';
import { handlerFamilies } from '../src/worker/handlers/index.ts';
import type { Db } from '../src/db/index.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';
import { silentLog, waitFor } from './support/bus/index.ts';

for (const kind of testDatabaseKinds()) {
  describe(`worker on ${kind}`, () => {
    let t: TestDatabase;
    let db: Db;
    before(async () => {
      t = await openTestDatabase(kind);
      db = t.handle.db;
      await db.insert(acquisition).values({ uuid: 'acq-1' });
    });
    after(async () => {
      await t?.drop();
    });

    async function weights(gridUuid: string) {
      return db
        .select({ model: qualitypredictionmodelweight.prediction_model_name, weight: qualitypredictionmodelweight.weight })
        .from(qualitypredictionmodelweight)
        .where(eq(qualitypredictionmodelweight.grid_uuid, gridUuid));
    }

    test('grid.created written through the outbox initialises 1/n weights per model, once, however often it arrives', async () => {
      const bus = new InProcessBus({ log: silentLog, maxAttempts: 3 });
      let seen = 0;
      // The real handler families plus one counting deliveries, so the test knows when all five have been handled.
      const families = [...handlerFamilies, { 'grid.created': async () => void seen++ }];
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 50 });
      const worker = await startWorker({ db, bus, log: silentLog, prefetch: 4, families });
      await db.transaction(async (tx) => {
        await tx.insert(grid).values({ uuid: 'grid-1', name: 'Grid 1', acquisition_uuid: 'acq-1' });
        // The same event five times over: what redeliveries and duplicate publishes look like to the worker.
        await insertOutbox(
          tx as unknown as Db,
          Array.from({ length: 5 }, () => ({ event_type: 'grid.created', uuid: 'grid-1', acquisition_uuid: 'acq-1' })),
        );
      });
      relay.wake();
      await relay.flush();
      await waitFor('five grid.created deliveries handled', () => seen === 5);
      await relay.stop();
      await worker.stop();
      const rows = await weights('grid-1');
      assert.deepEqual(rows.map((r) => r.model).sort(), ['Bender', 'Claptrap', 'R2-D2', 'WALL-E']);
      assert.ok(rows.every((r) => r.weight === 0.25));
      assert.deepEqual(await bus.deadLetters(), []);
      await bus.close();
    });

    test('ten copies of grid.created handled at the same time still give one weight per model', async () => {
      const bus = new InProcessBus({ log: silentLog, maxAttempts: 3 });
      await db.insert(grid).values({ uuid: 'grid-2', name: 'Grid 2', acquisition_uuid: 'acq-1' });
      // A barrier before the real handlers, so all ten start their transactions together.
      let arrived = 0;
      let openBarrier: () => void = () => {};
      const barrier = new Promise<void>((resolve) => (openBarrier = resolve));
      const barrierFamily = {
        'grid.created': async () => {
          if (++arrived === 10) openBarrier();
          await barrier;
        },
      };
      const worker = await startWorker({ db, bus, log: silentLog, prefetch: 10, families: [barrierFamily, ...handlerFamilies] });
      await bus.publish(Array.from({ length: 10 }, () => ({ event_type: 'grid.created', uuid: 'grid-2', acquisition_uuid: 'acq-1' })));
      await worker.stop();
      await bus.close();
      assert.deepEqual(await bus.deadLetters(), []);
      assert.deepEqual((await weights('grid-2')).map((r) => r.model).sort(), ['Bender', 'Claptrap', 'R2-D2', 'WALL-E']);
    });

    test('unknown event types and payloads missing their uuid are dead-lettered with a reason naming them; events for other consumers are not', async () => {
      const bus = new InProcessBus({ log: silentLog, maxAttempts: 3 });
      const worker = await startWorker({ db, bus, log: silentLog });
      await bus.publish([
        { event_type: 'decision.updated', grid_uuid: 'g', trigger: 'ctf.completed' },
        { event_type: 'bogus.happened', uuid: 'x' },
        { event_type: 'gridsquare.updated', grid_uuid: 'g' },
        { event_type: 'grid.created', uuid: 'no-such-grid', acquisition_uuid: 'acq-1' },
        { event_type: 'atlas_tile.created', uuid: 'tile-1', id: 't', atlas_uuid: 'a' },
      ]);
      await waitFor('two dead letters', async () => (await bus.deadLetters()).length === 2);
      await worker.stop();
      const letters = await bus.deadLetters();
      assert.deepEqual(letters.map((l) => [l.attempts, l.error]).sort(), [
        [1, 'gridsquare.updated: field "uuid" must be a non-empty string, got nothing'],
        [1, 'no handler registered for event type "bogus.happened"'],
      ]);
      assert.deepEqual(await weights('no-such-grid'), [], 'a grid that does not exist gets no weights and no retry loop');
      await bus.close();
    });
  });
}
