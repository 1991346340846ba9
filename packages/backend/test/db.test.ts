import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, migrateDatabase } from '../src/db/index.ts';
import { acquisition, grid, gridsquare, foilhole, micrograph, outbox, qualitypredictionmodel } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { bulkInsert } from '../src/repositories/bulk.ts';
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
      await db.insert(grid).values([
        { uuid: 'g2', name: 'A', acquisition_uuid: 'a2' },
        { uuid: 'g3', name: 'B', acquisition_uuid: 'a2' },
      ]);
      await db.insert(gridsquare).values([
        { uuid: 's2', gridsquare_id: '7', grid_uuid: 'g2' },
        { uuid: 's3', gridsquare_id: '7', grid_uuid: 'g3' },
      ]);
      await assert.rejects(db.insert(gridsquare).values({ uuid: 's4', gridsquare_id: '7', grid_uuid: 'g2' }));
    });

    test('bulkInsert stores every value type as sent (rows travel as JSON arrays per column)', async () => {
      const { db } = t.handle;
      await db.insert(acquisition).values({ uuid: 'bulk-a', status: 'started' });
      await db.insert(grid).values({ uuid: 'bulk-g', name: 'G', acquisition_uuid: 'bulk-a' });
      await db.insert(gridsquare).values({ uuid: 'bulk-s', gridsquare_id: '1', grid_uuid: 'bulk-g' });
      await db.insert(foilhole).values({ uuid: 'bulk-f', foilhole_id: '2', gridsquare_uuid: 'bulk-s' });
      const when = new Date('2025-05-06T07:08:09.123Z');
      const rows = [
        {
          uuid: 'bulk-m1',
          foilhole_uuid: 'bulk-f',
          micrograph_id: 'q"u\\o\'te ü 🙂',
          status: 'ctf completed',
          acquisition_datetime: when,
          defocus: -1.5e-7,
          total_motion: Number.NaN,
          average_motion: Number.POSITIVE_INFINITY,
          image_size_x: 4096,
          energy_filter: true,
          phase_plate: false,
        },
        {
          uuid: 'bulk-m2',
          foilhole_uuid: 'bulk-f',
          micrograph_id: '',
          status: null,
          acquisition_datetime: null,
          defocus: 0,
          total_motion: null,
          average_motion: Number.NEGATIVE_INFINITY,
          image_size_x: null,
          energy_filter: null,
          phase_plate: null,
        },
      ];
      await bulkInsert(db, micrograph, rows);
      const stored = await db.select().from(micrograph).where(sql`${micrograph.uuid} LIKE 'bulk-%'`).orderBy(micrograph.uuid);
      assert.equal(stored.length, 2);
      for (const [i, row] of rows.entries()) {
        for (const [key, value] of Object.entries(row)) {
          assert.deepEqual((stored[i] as Record<string, unknown>)[key], value, `${row.uuid}.${key}`);
        }
      }
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
      assert.deepEqual(
        rows.map((r) => r.payload),
        [{ event_type: 'acquisition.created', uuid: 'y', id: null }],
      );
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
    const child = spawn(process.execPath, [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(join(dir, 'smartem.lock'))}, String(process.pid))`,
    ]);
    await new Promise((resolve) => child.on('exit', resolve));
    const second = await openDatabase({ dataDir: dir });
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
