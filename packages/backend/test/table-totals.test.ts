import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, migrateDatabase } from '../src/db/index.ts';
import { acquisition, grid } from '../src/db/schema.ts';
import { tableTotals, TABLES } from '../src/repositories/table-totals.ts';
import { formatTotals } from '../src/services/table-totals.ts';

test('db-table-totals counts every table (PGlite in memory)', async () => {
  const handle = await openDatabase({});
  try {
    await migrateDatabase(handle);
    await handle.db.insert(acquisition).values({ uuid: 'a' });
    await handle.db.insert(grid).values([
      { uuid: 'g1', name: 'x', acquisition_uuid: 'a' },
      { uuid: 'g2', name: 'y', acquisition_uuid: 'a' },
    ]);
    const totals = await tableTotals(handle.db);
    assert.deepEqual(
      totals.map((t) => t.table),
      [...TABLES],
    );
    const count = (name: string) => totals.find((t) => t.table === name)?.count;
    assert.equal(count('acquisition'), 1);
    assert.equal(count('grid'), 2);
    assert.equal(count('qualitypredictionmodel'), 4);
    const text = formatTotals(totals);
    assert.match(text, /^grid\s+2$/m);
    assert.match(text, /^TOTAL\s+7$/m);
  } finally {
    await handle.close();
  }
});
