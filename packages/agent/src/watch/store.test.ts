import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys, type Contribution } from './entities.ts';
import { EntityStore, type Entity } from './store.ts';
import { Journal, replayJournal } from './journal.ts';

const grid = 'visit/grid1';
const acq: Contribution = { key: keys.acquisition(), kind: 'acquisition', parents: [], fields: { name: 'v', id: '1' } };
const gridC: Contribution = { key: keys.grid(grid), kind: 'grid', parents: [keys.acquisition()], fields: { name: 'g' } };
const square: Contribution = {
  key: keys.gridsquare(grid, '7'),
  kind: 'gridsquare',
  parents: [keys.grid(grid)],
  fields: { gridsquare_id: '7' },
};
const hole = (order: string, quality: number): Contribution => ({
  key: keys.foilhole(grid, '7', '42'),
  kind: 'foilhole',
  parents: [keys.gridsquare(grid, '7')],
  fields: { foilhole_id: '42', quality },
  order,
});

/** A foil hole's quality as the store holds it. */
const quality = (e: Entity | undefined) => (e?.kind === 'foilhole' ? e.fields.quality : undefined);

test('a child that arrives before its parent is an orphan until the parent appears, and is not sendable before', () => {
  const store = new EntityStore();
  store.apply(hole('20250101_000000', 0.5));
  assert.equal(store.counts().orphanTotal, 1);
  assert.deepEqual(store.listOrphans()[0]!.waitingFor, [keys.gridsquare(grid, '7')]);
  store.apply(acq);
  store.apply(gridC);
  store.apply(square);
  assert.equal(store.counts().orphanTotal, 0);
  assert.deepEqual(store.sendable('foilhole', 10), [], 'parent not acknowledged yet');
  for (const k of [acq.key, gridC.key, square.key]) store.ack(k, store.get(k)!.version);
  assert.equal(store.sendable('foilhole', 10).length, 1);
});

test('the latest FoilHole manifest wins whatever the arrival order; same content is not a change', () => {
  const store = new EntityStore();
  assert.equal(store.apply(hole('20250101_000010', 0.9)), true);
  assert.equal(store.apply(hole('20250101_000005', 0.1)), false, 'older manifest ignored');
  assert.equal(quality(store.get(hole('', 0).key)), 0.9);
  const v = store.get(hole('', 0).key)!.version;
  assert.equal(store.apply(hole('20250101_000010', 0.9)), false);
  assert.equal(store.get(hole('', 0).key)!.version, v);
});

test('an adopted uuid (natural id already stored under another) makes the children resend with it', () => {
  const store = new EntityStore();
  store.apply(acq);
  store.apply(gridC);
  store.apply(square);
  store.ack(acq.key, 1);
  store.ack(gridC.key, 1, 'stored-grid-uuid');
  assert.equal(store.get(gridC.key)!.uuid, 'stored-grid-uuid');
  store.ack(square.key, 1);
  assert.equal(store.get(square.key)!.version, 2, 'square touched by the parent uuid change');
  assert.equal(store.sendable('gridsquare', 10).length, 1);
});

test('journal: replay restores uuids and unacknowledged state; a torn last line is skipped; compaction keeps it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smartem-journal-'));
  try {
    const store = new EntityStore();
    const journal = new Journal(dir);
    await journal.open(store);
    store.apply(acq);
    store.apply(gridC);
    store.apply(square);
    store.apply(hole('20250101_000010', 0.9));
    store.ack(acq.key, 1);
    store.ack(gridC.key, 1);
    await journal.flush();
    await journal.close();
    await appendFile(journal.path, '{"t":"a","k":"gs|visit/gri'); // killed mid-write

    const again = new EntityStore();
    const summary = await replayJournal(journal.path, again);
    assert.equal(summary.skippedLines, 1);
    assert.equal(summary.entities, 4);
    assert.equal(summary.unacknowledged, 2);
    for (const key of [acq.key, gridC.key, square.key, hole('', 0).key]) assert.equal(again.get(key)!.uuid, store.get(key)!.uuid);
    assert.equal(quality(again.get(hole('', 0).key)), 0.9);
    assert.equal(again.apply(hole('20250101_000005', 0.1)), false, 'manifest order survives the restart');

    const j2 = new Journal(dir);
    await j2.open(again);
    await j2.compact(again);
    again.ack(square.key, again.get(square.key)!.version);
    await j2.close();
    const lines = (await readFile(j2.path, 'utf8')).trim().split('\n');
    assert.ok(lines.length <= 8, `compacted to one put (+ ack) per entity, got ${lines.length}`);
    const third = new EntityStore();
    const s3 = await replayJournal(j2.path, third);
    assert.equal(s3.entities, 4);
    assert.equal(s3.unacknowledged, 1);
    assert.equal(third.get(hole('', 0).key)!.uuid, store.get(hole('', 0).key)!.uuid);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an acknowledged micrograph keeps only a digest: same manifest is no change, a changed one resends all fields, across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smartem-journal-'));
  const mic = (defocus: number): Contribution => ({
    key: keys.micrograph(grid, '7', '42', 'm1'),
    kind: 'micrograph',
    parents: [hole('', 0).key],
    fields: { micrograph_id: 'm1', defocus, status: 'none' },
  });
  try {
    const store = new EntityStore();
    const journal = new Journal(dir);
    await journal.open(store);
    for (const c of [acq, gridC, square, hole('20250101_000010', 0.9), mic(-1.5)]) store.apply(c);
    for (const k of [acq.key, gridC.key, square.key, hole('', 0).key, mic(0).key]) store.ack(k, store.get(k)!.version);
    const m = store.get(mic(0).key)!;
    assert.deepEqual(m.fields, {}, 'fields dropped once acknowledged');
    assert.deepEqual(store.get(hole('', 0).key)!.fields, { foilhole_id: '42', quality: 0.9 }, 'parents keep theirs');
    assert.equal(store.apply(mic(-1.5)), false, 'same manifest again: no change');
    store.touch(hole('', 0).key); // a parent the backend says is missing can still be resent in full
    assert.equal(quality(store.sendable('foilhole', 10)[0]), 0.9);
    await journal.compact(store);
    await journal.close();

    // Restart from the compacted journal: the digest survives, so re-reading the visit resends nothing.
    const again = new EntityStore();
    const j2 = new Journal(dir);
    await j2.open(again);
    assert.equal(again.get(mic(0).key)!.uuid, m.uuid);
    assert.equal(again.apply(mic(-1.5)), false);
    assert.equal(again.apply(mic(-2)), true, 'a rewritten manifest is a change');
    assert.deepEqual(again.sendable('micrograph', 10)[0]!.fields, { micrograph_id: 'm1', defocus: -2, status: 'none' }, 'resent in full');
    await j2.close();

    // Restart before that change was acknowledged: it is still pending, with all its fields.
    const third = new EntityStore();
    await replayJournal(j2.path, third);
    assert.deepEqual(third.sendable('micrograph', 10)[0]!.fields, { micrograph_id: 'm1', defocus: -2, status: 'none' });
    assert.equal(third.get(mic(0).key)!.uuid, m.uuid);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('progressingCount: pending entities whose ancestors are all known and not rejected; orphans and their children are not', () => {
  const store = new EntityStore();
  const mic = (id: string, fh = '42'): Contribution => ({
    key: keys.micrograph(grid, '7', fh, id),
    kind: 'micrograph',
    parents: [keys.foilhole(grid, '7', fh)],
    fields: { micrograph_id: id },
  });
  store.apply(hole('20250101_000000', 0.5)); // its square is not known: an orphan
  store.apply(mic('a'));
  store.apply(mic('b'));
  assert.equal(store.pendingCount(), 3);
  assert.equal(store.progressingCount(), 0, 'an orphan and the children of an orphan wait for a file, not the backend');
  store.apply(acq);
  store.apply(gridC);
  store.apply(square);
  assert.equal(store.progressingCount(), 6);
  for (const k of [acq.key, gridC.key]) store.ack(k, 1);
  assert.equal(store.progressingCount(), 4);
  // A square the backend rejected before storing it: its descendants cannot reach the backend either.
  store.fail(square.key, store.get(square.key)!.version, '422 bad field');
  assert.equal(store.progressingCount(), 0);
  assert.equal(store.pendingCount(), 3);
});
