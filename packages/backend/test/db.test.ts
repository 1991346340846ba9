import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, migrateDatabase } from '../src/db/index.ts';
import { acquisition, grid, gridsquare, foilhole, micrograph, outbox, qualitypredictionmodel } from '../src/db/schema.ts';
import { insertOutbox } from '../src/outbox/outbox.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';

for (const kind of testDatabaseKinds()) {
  describe(`database on ${kind}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(kind);
    });
    after(async () => {
      await t?.drop();
    });

    test('migrations seed the four prediction models and are idempotent', async () => {
      await migrateDatabase(t.handle);
      const models = await t.handle.db.select().from(qualitypredictionmodel);
      assert.deepEqual(models.map((m) => m.name).sort(), ['Bender', 'Claptrap', 'R2-D2', 'WALL-E']);
    });

    test('deleting an acquisition cascades to its grids, squares, holes and micrographs', async () => {
      const { db } = t.handle;
      await db.insert(acquisition).values({ uuid: 'a1', status: 'started' });
      await db.insert(grid).values({ uuid: 'g1', name: 'Grid 1', acquisition_uuid: 'a1' });
      await db.insert(gridsquare).values({ uuid: 's1', gridsquare_id: '100', grid_uuid: 'g1' });
      await db.insert(foilhole).values({ uuid: 'f1', foilhole_id: '200', gridsquare_uuid: 's1' });
      await db.insert(micrograph).values({ uuid: 'm1', micrograph_id: '300', foilhole_uuid: 'f1', foilhole_id: '200' });
      await db.delete(acquisition).where(eq(acquisition.uuid, 'a1'));
      for (const table of [grid, gridsquare, foilhole, micrograph]) {
        const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(table);
        assert.equal(row.n, 0);
      }
    });

    test('a natural id is unique within its parent but may repeat under another parent', async () => {
      const { db } = t.handle;
      await db.insert(acquisition).values({ uuid: 'a2' });
      await db.insert(grid).values([{ uuid: 'g2', name: 'A', acquisition_uuid: 'a2' }, { uuid: 'g3', name: 'B', acquisition_uuid: 'a2' }]);
      await db.insert(gridsquare).values([{ uuid: 's2', gridsquare_id: '7', grid_uuid: 'g2' }, { uuid: 's3', gridsquare_id: '7', grid_uuid: 'g3' }]);
      await assert.rejects(db.insert(gridsquare).values({ uuid: 's4', gridsquare_id: '7', grid_uuid: 'g2' }));
    });

    test('outbox rows roll back with the transaction that wrote them', async () => {
      const { db } = t.handle;
      await assert.rejects(
        db.transaction(async (tx) => {
          await insertOutbox(tx, [{ event_type: 'acquisition.created', uuid: 'x', id: null }]);
          throw new Error('rollback');
        }),
      );
      await db.transaction(async (tx) => insertOutbox(tx, [{ event_type: 'acquisition.created', uuid: 'y', id: null }]));
      const rows = await db.select().from(outbox);
      assert.deepEqual(rows.map((r) => r.payload), [{ event_type: 'acquisition.created', uuid: 'y', id: null }]);
      assert.equal(rows[0].published_at, null);
    });
  });
}

test('a PGlite data directory is owned by one process through its lock file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smartem-lock-'));
  try {
    const first = await openDatabase({ dataDir: dir });
    await assert.rejects(openDatabase({ dataDir: dir }), /in use by process/);
    await first.close();
    assert.equal(existsSync(join(dir, 'smartem.lock')), false);
    // A lock left by a dead process is taken over.
    const child = spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(join(dir, 'smartem.lock'))}, String(process.pid))`]);
    await new Promise((resolve) => child.on('exit', resolve));
    const second = await openDatabase({ dataDir: dir });
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
