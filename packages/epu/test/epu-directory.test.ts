// Whole-directory parse and validate: on the real sample tree in place, and on an incomplete visit assembled in a
// temp directory from copies of real files (with a truncated, an empty and a Fractions file among them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseEpuDirectory, validateEpuDirectory, type EpuDirectoryParse } from '@smartem/epu';
import { DIR_EXAMPLE, HAVE_SAMPLES, sample, SAMPLES, SKIP_SAMPLES, SPA } from './samples.ts';

test('parse dir over the whole sample tree: counts, orphans, warnings, no errors', { skip: SKIP_SAMPLES }, async () => {
  const parse = await parseEpuDirectory(SAMPLES, { workers: 0 });
  assert.deepEqual(parse.counts, { acquisitions: 1, grids: 5, atlases: 3, gridsquares: 718, foilholes: 3, micrographs: 55 });
  assert.deepEqual(parse.errors, []);
  // No Metadata in these sets, so no micrograph's foil hole is known: all are kept as orphans.
  assert.equal(parse.orphans.length, 55);
  const example = parse.grids.find((g) => g.grid_dir.endsWith(DIR_EXAMPLE))!;
  assert.equal(example.session?.id, '9015527');
  assert.deepEqual(example.session?.instrument, {
    instrument_model: 'TITAN52336320',
    instrument_id: '3632',
    computer_name: 'TITAN52336320',
  });
  assert.equal(example.atlas, null);
  assert.ok(parse.warnings.some((w) => w.startsWith(`${sample(DIR_EXAMPLE)}: atlas not found`)));
  // The latest of the two manifests of hole 9015889 wins.
  assert.equal(example.foilholes.get('8999138/9015889')?.manifest?.file_timestamp, '20250108_154725');
  const mocks = parse.grids.find((g) => g.grid_dir.endsWith('epumocks/EPU_session'))!;
  assert.equal(
    mocks.atlas_file,
    sample('smartem-decisions/tests/testdata/epumocks/Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm'),
  );
  assert.equal(mocks.atlas?.id, '3436163');
  // The 3.11 session's atlas (D:\Atlas\meh\Sample1\…) is not in the tree; a same-named Sample1 atlas elsewhere is not taken.
  const merger = parse.grids.find((g) => g.grid_dir.endsWith('epu_dataset_merger/testing/Y/spa'))!;
  assert.equal(merger.atlas_file, null);
});

let visit = '';
const GRID_A = 'Supervisor_20240405_115113_0_gridA';
const GRID_B = 'Supervisor_20240405_115113_1_gridB';
const SQ = 'Images-Disc1/GridSquare_4590776';

function put(relative: string, from: string | Buffer): void {
  const target = join(visit, relative);
  mkdirSync(dirname(target), { recursive: true });
  if (typeof from === 'string') copyFileSync(sample(from), target);
  else writeFileSync(target, from);
}

before(() => {
  if (!HAVE_SAMPLES) return;
  visit = mkdtempSync(join(tmpdir(), 'epu-visit-'));
  const micrograph = `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.xml`;
  put(
    'atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm',
    `${SPA}/Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm`,
  );
  put(`${GRID_A}/EpuSession.dm`, `${SPA}/EPU_session/EpuSession.dm`);
  put(`${GRID_A}/Metadata/GridSquare_4590776.dm`, `${SPA}/GridSquare_4590776.dm`);
  put(`${GRID_A}/Metadata/GridSquare_4590777.dm`, Buffer.alloc(0));
  put(`${GRID_A}/${SQ}/GridSquare_20240406_102420.xml`, `${SPA}/EPU_session/${SQ}/GridSquare_20240406_102420.xml`);
  put(
    `${GRID_A}/${SQ}/FoilHoles/FoilHole_5665438_20240406_102451.xml`,
    `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/FoilHoles/FoilHole_9015889_20250108_154725.xml`,
  );
  put(`${GRID_A}/${SQ}/Data/FoilHole_5665438_Data_9017347_6_20240406_103000.xml`, micrograph);
  put(`${GRID_A}/${SQ}/Data/FoilHole_5665438_Data_9017347_6_20240406_103000_Fractions.xml`, Buffer.from('<Acquisition/>'));
  put(`${GRID_A}/${SQ}/Data/FoilHole_1_Data_9017347_7_20240406_103100.xml`, micrograph);
  const text = readFileSync(sample(micrograph));
  put(`${GRID_A}/${SQ}/Data/FoilHole_5665438_Data_9017347_8_20240406_103200.xml`, text.subarray(0, text.length >> 1));
  put(`${GRID_B}/EpuSession.dm`, `${SPA}/EPU_session/EpuSession.dm`);
  put(
    `${GRID_B}/Images-Disc1/GridSquare_4590306/GridSquare_20240406_102420.xml`,
    `${SPA}/EPU_session/${SQ}/GridSquare_20240406_102420.xml`,
  );
});

after(() => {
  if (visit) rmSync(visit, { recursive: true, force: true });
});

function checkIncompleteVisit(parse: EpuDirectoryParse): void {
  assert.equal(parse.counts.grids, 2);
  assert.equal(parse.counts.atlases, 1); // shared by both grids, parsed once
  // Every square on the atlas, for each grid (222 each), as the original.
  assert.equal(parse.counts.gridsquares, 444);
  assert.equal(parse.counts.foilholes, 570); // grid A's metadata (the manifest's hole is one of them)
  assert.equal(parse.counts.micrographs, 2); // the truncated one is an error, the Fractions file is not a micrograph
  assert.deepEqual(
    parse.orphans.map((o) => [o.foilhole_id, o.gridsquare_id]),
    [['1', '4590776']],
  );
  assert.deepEqual(
    parse.errors.map((e) => [e.path.slice(visit.length + 1), /empty file|not well-formed/.test(e.reason)]),
    [
      [`${GRID_A}/Metadata/GridSquare_4590777.dm`, true],
      [`${GRID_A}/${SQ}/Data/FoilHole_5665438_Data_9017347_8_20240406_103200.xml`, true],
    ].sort(),
  );
  assert.ok(parse.warnings.some((w) => w === `${join(visit, GRID_B)}: no Metadata/GridSquare_<id>.dm files (foil hole positions unknown)`));
  const a = parse.grids.find((g) => g.grid_dir.endsWith(GRID_A))!;
  const square = a.gridsquares.get('4590776')!;
  assert.equal(square.metadata?.state, 'InProgress');
  assert.equal(square.manifest?.magnification, 470);
  assert.deepEqual(square.atlas_position?.center, parse.grids[0]!.atlas?.gridsquare_positions['4590776']?.center);
  assert.equal(a.foilholes.get('4590776/5665438')?.manifest?.center_x, 1414.76611);
  assert.equal(a.foilholes.get('4590776/5665438')?.position?.x_location, 1396);
}

test('an incomplete visit: parses what exists, errors do not stop the rest, orphans kept', { skip: SKIP_SAMPLES }, async () => {
  checkIncompleteVisit(await parseEpuDirectory(visit, { workers: 0 }));
});

test('the same result on worker threads', { skip: SKIP_SAMPLES }, async () => {
  const progress: [number, number][] = [];
  const parse = await parseEpuDirectory(visit, {
    workers: 1,
    minFilesForWorkers: 1,
    onProgress: (done, total) => progress.push([done, total]),
  });
  checkIncompleteVisit(parse);
  // Everything but the two sessions (parsed first, on the calling thread) is reported.
  assert.deepEqual(progress[progress.length - 1], [
    parse.files_parsed + parse.errors.length - 2,
    parse.files_parsed + parse.errors.length - 2,
  ]);
});

test('validate: the original checks and messages, grid by grid for a visit', { skip: SKIP_SAMPLES }, async () => {
  assert.deepEqual(await validateEpuDirectory(join(visit, GRID_A)), { valid: true, grids: [join(visit, GRID_A)], errors: [] });
  mkdirSync(join(visit, GRID_B, 'Images-Disc0'));
  const whole = await validateEpuDirectory(visit);
  assert.equal(whole.valid, false);
  assert.deepEqual(whole.errors, [
    `${GRID_B}: Missing required directory: Metadata`,
    `${GRID_B}: Invalid disk number in Images-Disc0: must be >= 1`,
  ]);
  const empty = mkdtempSync(join(tmpdir(), 'epu-empty-'));
  try {
    writeFileSync(join(empty, 'EpuSession.dm'), '<EpuSessionXml');
    const result = await validateEpuDirectory(empty);
    assert.equal(result.errors.length, 3);
    assert.match(result.errors[0]!, /^Invalid EpuSession\.dm: not well-formed/);
    assert.deepEqual(result.errors.slice(1), [
      'Missing required directory: Metadata',
      'No Images-Disc directories found. At least Images-Disc1 should exist.',
    ]);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
