// `smartem agent parse dir` and `smartem agent watch` turn a finished tree into the same entities: the directory parse
// (parseEpuDirectory, files parsed in bulk) and the watch (files read one by one as the file system reports them,
// through the file queue, the store and a dry-run sync) over the real samples, a simulated visit and one grid of it
// watched on its own (its atlas lies outside the watched directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@smartem/common';
import { parseEpuDirectory, type AssembledEntity } from '@smartem/epu';
import { generateVisit } from '@smartem/epu-sim';
import { startWatch } from '@smartem/agent';
import { fieldsDigest } from '../src/watch/store.ts';

const SAMPLES = resolve(import.meta.dirname, '../../../../shared/epu-samples');
const SKIP = existsSync(SAMPLES) ? false : `real EPU samples not found at ${SAMPLES}`;
const log = createLogger({ level: 'silent' });

/** Both paths over `dir`: the same keys, kinds, parents and fields (an acknowledged micrograph's by digest). */
async function assertSameEntities(dir: string): Promise<number> {
  const { entities } = await parseEpuDirectory(dir, { workers: 0, entities: true });
  const parsed = entities!;
  const watch = await startWatch({ dir, dryRun: true, rescanIntervalMs: 0, log });
  try {
    await watch.whenSettled();
    const watched = watch.store.entities;
    assert.deepEqual([...watched.keys()].sort(), [...parsed.keys()].sort());
    for (const [key, e] of watched) {
      const p: AssembledEntity = parsed.get(key)!;
      assert.equal(e.kind, p.kind, key);
      assert.deepEqual(e.parents, p.parents, key);
      if (e.digest !== undefined) assert.equal(e.digest, fieldsDigest(p.fields), key);
      else assert.deepEqual(e.fields, p.fields, key);
    }
    return watched.size;
  } finally {
    await watch.stop();
  }
}

test('the real sample tree: parse dir and watch yield the same entities', { skip: SKIP }, async () => {
  const count = await assertSameEntities(SAMPLES);
  assert.ok(count > 700, `${count} entities`);
});

test('a simulated visit, and one grid of it watched alone: parse dir and watch yield the same entities', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'smartem-one-intake-'));
  try {
    const visit = await generateVisit({ out: join(tmp, 'visit'), squares: 3, holesPerSquare: 4, shotsPerHole: 2, grids: 2, seed: 5 });
    const all = await assertSameEntities(visit.root);
    const counts = visit.counts;
    assert.ok(all >= counts.micrographs + counts.foilHoles, `${all} entities for ${JSON.stringify(counts)}`);
    const oneGrid = await assertSameEntities(visit.grids[0]!.dir);
    const parse = await parseEpuDirectory(visit.grids[0]!.dir, { workers: 0, entities: true });
    assert.ok(
      [...parse.entities!.values()].some((e) => e.kind === 'atlastile'),
      'the atlas beside the grid directory is read',
    );
    assert.ok(oneGrid < all);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
