import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@smartem/common';
import { keys, type Contribution } from './entities.ts';
import { EntityStore } from './store.ts';
import { replayJournal } from './journal.ts';
import { batchBody, Syncer } from './sync.ts';

const grid = 'Grid1';
const visit: Contribution[] = [
  { key: keys.acquisition(), kind: 'acquisition', parents: [], fields: { name: 'v', id: '1' } },
  { key: keys.grid(grid), kind: 'grid', parents: [keys.acquisition()], fields: { name: 'g' } },
  { key: keys.atlas(grid), kind: 'atlas', parents: [keys.grid(grid)], fields: { atlas_id: 'A', name: 'atlas' } },
  { key: keys.tile(grid, '1'), kind: 'atlastile', parents: [keys.atlas(grid)], fields: { tile_id: '1' } },
  { key: keys.gridsquare(grid, '7'), kind: 'gridsquare', parents: [keys.grid(grid)], fields: { gridsquare_id: '7', center_x: 10 } },
  {
    key: keys.link(grid, '1', '7'),
    kind: 'position',
    parents: [keys.tile(grid, '1'), keys.gridsquare(grid, '7')],
    fields: { center_x: 1, center_y: 2, size_width: 3, size_height: 4 },
  },
];

function storeOf(contributions: Contribution[]): EntityStore {
  const store = new EntityStore();
  for (const c of contributions) store.apply(c);
  return store;
}

test('batch items carry the uuid (kinds that have one) and every parent uuid, in the order of parentsOf', () => {
  const store = storeOf(visit);
  const uuid = (key: string) => store.get(key)!.uuid;
  const link = store.get(keys.link(grid, '1', '7'))!;
  assert.deepEqual(batchBody(store, 'position', link), {
    item: {
      center_x: 1,
      center_y: 2,
      size_width: 3,
      size_height: 4,
      atlastile_uuid: uuid(keys.tile(grid, '1')),
      gridsquare_uuid: uuid(keys.gridsquare(grid, '7')),
    },
  });
  assert.deepEqual(batchBody(store, 'grid', store.get(keys.grid(grid))!), {
    item: { name: 'g', uuid: uuid(keys.grid(grid)), acquisition_uuid: uuid(keys.acquisition()) },
  });
});

test('an entity whose fields do not fit its kind is failed locally, naming the field; the rest of the batch is sent', async () => {
  const store = storeOf(visit);
  // A value of the wrong type, as a parser bug would produce it at run time (the types rule it out at compile time).
  const fields = JSON.parse('{"gridsquare_id": "8", "center_x": "left"}');
  store.apply({ key: keys.gridsquare(grid, '8'), kind: 'gridsquare', parents: [keys.grid(grid)], fields });
  const syncer = new Syncer({ store, log: createLogger({ level: 'silent', pretty: false }), lingerMs: 0 });
  await syncer.whenIdle();
  await syncer.stop();
  const bad = store.get(keys.gridsquare(grid, '8'))!;
  assert.match(bad.failed ?? '', /invalid gridsquare: \/center_x: /);
  assert.equal(bad.acked, 0);
  assert.equal(syncer.stats.rejected, 1);
  for (const c of visit) assert.ok(store.get(c.key)!.acked > 0, `${c.key} acknowledged`);
  assert.equal(store.pendingCount(), 0);
});

test("a journal written with the agent's former kind names (tile, link) replays as atlastile and position", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smartem-journal-'));
  try {
    const path = join(dir, 'journal.jsonl');
    const tile = { t: 'p', k: keys.tile(grid, '1'), n: 'tile', u: 'tile-uuid', P: [keys.atlas(grid)], f: { tile_id: '1' }, v: 1 };
    const link = {
      t: 'p',
      k: keys.link(grid, '1', '7'),
      n: 'link',
      u: 'link-uuid',
      P: [keys.tile(grid, '1'), keys.gridsquare(grid, '7')],
      f: { center_x: 1 },
      v: 1,
    };
    await writeFile(path, `${JSON.stringify(tile)}\n${JSON.stringify(link)}\n`);
    const store = new EntityStore();
    await replayJournal(path, store);
    assert.equal(store.get(tile.k)!.kind, 'atlastile');
    assert.equal(store.get(link.k)!.kind, 'position');
    assert.equal(store.counts().entities.atlastile, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
