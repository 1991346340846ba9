// The simulator read back by our own EPU parser: exact counts and ids, determinism, the ground-truth sidecar,
// and `play` watched while it writes (half-written files, children before parents, same final tree).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyEpuPath, parseEpuDirectory, parseEpuXml } from '@smartem/epu';
import { readCsvFile, withHeader } from '@smartem/common/csv';
import { generateVisit, playVisit, GROUND_TRUTH_HEADER, type PlayEvent } from '../src/index.ts';
import { treeHashes } from './support/tree.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'epu-sim-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the parser reads a generated visit with exactly the counts and ids asked for', async () => {
  const opts = { squares: 3, holesPerSquare: 7, shotsPerHole: 5, seed: 3, grids: 2 };
  const visit = await generateVisit({ out: join(dir, 'parsed'), ...opts });
  const parsed = await parseEpuDirectory(visit.root);
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.orphans, []);
  assert.deepEqual(parsed.warnings, []);
  assert.equal(parsed.counts.grids, 2);
  assert.equal(parsed.counts.atlases, 2);
  assert.equal(visit.counts.gridSquaresCollected, 2 * 3);
  assert.equal(visit.counts.foilHolesCollected, 2 * 3 * 7);
  assert.equal(visit.counts.micrographs, 2 * 3 * 7 * 5);
  assert.equal(parsed.counts.gridsquares, visit.counts.gridSquares);
  assert.equal(parsed.counts.foilholes, visit.counts.foilHoles);
  assert.equal(parsed.counts.micrographs, visit.counts.micrographs);
  for (const g of visit.grids) {
    const grid = parsed.grids.find((p) => p.grid_dir === g.dir);
    assert.ok(grid, `grid ${g.dir} parsed`);
    assert.equal(grid.session?.id, g.sessionId);
    assert.equal(grid.atlas_file, g.atlasPath);
    assert.deepEqual([...grid.gridsquares.keys()].sort(), [...g.gridSquareIds].sort());
    for (const id of g.gridSquareIds) assert.ok(grid.gridsquares.get(id)?.atlas_position, `square ${id} is on the atlas`);
    for (const id of g.collectedGridSquareIds) assert.ok(grid.gridsquares.get(id)?.manifest, `square ${id} has its manifest`);
    assert.deepEqual([...grid.foilholes.values()].map((f) => f.id).sort(), [...g.foilHoleIds].sort());
    const withManifest = [...grid.foilholes.values()].filter((f) => f.manifest !== null).length;
    assert.equal(withManifest, g.counts.foilHolesCollected);
    assert.deepEqual(grid.micrographs.map((m) => m.manifest.unique_id).sort(), [...g.micrographIds].sort());
  }
});

test('the same seed writes the same bytes; another seed does not', async () => {
  const a = await generateVisit({ out: join(dir, 'seed-a'), squares: 2, holesPerSquare: 3, shotsPerHole: 2, seed: 42 });
  const b = await generateVisit({ out: join(dir, 'seed-b'), squares: 2, holesPerSquare: 3, shotsPerHole: 2, seed: 42 });
  const c = await generateVisit({ out: join(dir, 'seed-c'), squares: 2, holesPerSquare: 3, shotsPerHole: 2, seed: 43 });
  assert.deepEqual(treeHashes(a.root), treeHashes(b.root));
  assert.notDeepEqual([...treeHashes(a.root).values()], [...treeHashes(c.root).values()]);
});

test('ground truth: one row per listed foil hole; a quality map sets the field; a bad map names file and line', async () => {
  const map = join(dir, 'map.csv');
  writeFileSync(map, '# uniform good ice\n0.9,0.9\n0.9,0.9\n');
  const visit = await generateVisit({ out: join(dir, 'truth'), squares: 2, holesPerSquare: 4, shotsPerHole: 1, qualityMap: map });
  const { column, rows } = withHeader(await readCsvFile(visit.groundTruthCsv), visit.groundTruthCsv, GROUND_TRUTH_HEADER.split(','));
  assert.deepEqual(Object.keys(column), GROUND_TRUTH_HEADER.split(','));
  assert.equal(rows.length, visit.counts.foilHoles);
  assert.ok(!visit.groundTruthCsv.startsWith(visit.grids[0].dir), 'the CSV is outside the EPU grid directory');
  const qualities = rows.filter(({ cells }) => cells[column.collected] === 'true').map(({ cells }) => Number(cells[column.quality]));
  assert.ok(qualities.length > 0);
  for (const quality of qualities) assert.ok(Math.abs(quality - 0.9) < 0.35, `quality ${quality} follows the map`);
  writeFileSync(map, '0.5,0.5\n0.5,oops\n');
  await assert.rejects(
    generateVisit({ out: join(dir, 'bad-map'), qualityMap: map }),
    (e: Error) => e.message.includes(map) && e.message.includes('line 2'),
  );
  await assert.rejects(generateVisit({ out: join(dir, 'bad-opt'), squares: 0 }), /--squares/);
});

test('play: half-written files are visible, children land before parents, the final tree equals generate', async () => {
  const opts = { squares: 3, holesPerSquare: 4, shotsPerHole: 2, seed: 5 };
  const root = join(dir, 'play');
  let halfWritten = 0;
  let halfWrittenRejected = 0;
  const completed: PlayEvent[] = [];
  const dirsSeen = new Set<string>();
  let fileBeforeDir = 0;
  const summary = await playVisit({
    out: root,
    fast: true,
    ...opts,
    onEvent: (e) => {
      if (e.type === 'dir') dirsSeen.add(e.path);
      if (e.type === 'file') {
        completed.push(e);
        if (!dirsSeen.has(e.path.slice(0, e.path.lastIndexOf('/')))) fileBeforeDir++;
      }
      if (e.type === 'chunk' && e.path.endsWith('.xml')) {
        // What a watcher sees at this moment: the file on disk, cut short.
        const onDisk = readFileSync(join(root, e.path), 'utf8');
        assert.equal(onDisk.length, e.written);
        const kind = classifyEpuPath(e.path)?.kind;
        if (kind === undefined) return;
        halfWritten++;
        try {
          parseEpuXml(kind, onDisk, e.path);
        } catch {
          halfWrittenRejected++;
        }
      }
    },
  });
  assert.equal(summary.aborted, false);
  assert.ok(halfWritten > 0, 'some XML was observed half-written');
  assert.equal(halfWrittenRejected, halfWritten, 'the parser rejects every half-written XML');
  assert.equal(fileBeforeDir, 0, 'directories are created before their files');
  assert.ok(summary.rewrites > 0, 'EPU rewrites the session and square metadata files');
  assert.ok(completed[0].path.endsWith('.xml') || completed[0].path.endsWith('.jpg') || completed[0].path.endsWith('.dm'));
  // A foil hole manifest completed before the metadata that lists its hole (its parent) was rewritten with targets.
  const order = completed.map((e) => e.path);
  const childFirst = summary.grids[0].collectedGridSquareIds.some((sq) => {
    const firstHole = order.findIndex((p) => p.includes(`/GridSquare_${sq}/FoilHoles/`));
    const metadata = order.findLastIndex((p) => p.endsWith(`Metadata/GridSquare_${sq}.dm`));
    return firstHole !== -1 && firstHole < metadata;
  });
  assert.ok(childFirst, 'at least one child before its parent');
  const duplicates = order.filter((p) => /FoilHoles\/FoilHole_\d+_\d+_\d+\.xml$/.test(p)).map((p) => p.match(/FoilHole_(\d+)_/)?.[1]);
  assert.ok(new Set(duplicates).size < duplicates.length, 'some foil holes have two manifests');
  const generated = await generateVisit({ out: join(dir, 'play-reference'), ...opts });
  assert.deepEqual(treeHashes(root), treeHashes(generated.root));
});

test('play at real pace stops promptly when aborted and says so', async () => {
  const controller = new AbortController();
  let files = 0;
  const summary = await playVisit({
    out: join(dir, 'abort'),
    squares: 2,
    holesPerSquare: 2,
    shotsPerHole: 2,
    speed: 1,
    signal: controller.signal,
    onEvent: (e) => {
      // At real pace the first file comes after 30 s and the next after 25 s more: stop at the first.
      if (e.type === 'file' && ++files === 1) controller.abort();
    },
  });
  assert.equal(summary.aborted, true);
  assert.ok(summary.writes >= 1 && summary.writes < 10, `stopped after ${summary.writes} files`);
});
