// `smartem agent parse …` and `smartem agent validate` as real child processes on the real EPU samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEpuDirectory } from '@smartem/epu';

const ROOT = resolve(import.meta.dirname, '../../..');
const SAMPLES = resolve(ROOT, '../shared/epu-samples');
const SKIP = existsSync(SAMPLES) ? false : `real EPU samples not found at ${SAMPLES}`;
const EXAMPLE = join(SAMPLES, 'smartem-decisions/tests/testdata/epu-dir-example');

function smartem(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/smartem.js'), ...args],
      { cwd: ROOT, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

test('parse micrograph PATH… --json: one array in argument order, original field names', { skip: SKIP }, async () => {
  const a = join(EXAMPLE, 'Images-Disc1/GridSquare_8999186/Data/FoilHole_9028219_Data_9017354_50_20250109_062624.xml');
  const b = join(EXAMPLE, 'Images-Disc1/GridSquare_8999138/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.xml');
  const { code, stdout } = await smartem('agent', 'parse', 'micrograph', a, b, '--json');
  assert.equal(code, 0);
  const records = JSON.parse(stdout) as Record<string, unknown>[];
  assert.deepEqual(
    records.map((r) => [r.unique_id, r.foilhole_id, r.location_id]),
    [
      ['735d79b2-d694-4b8d-9f9d-247d84a76858', '9028219', '9017354'],
      ['a57ec324-5326-43a3-8dc6-ee3424aa5814', '9015883', '9017347'],
    ],
  );
  for (const field of [
    'acquisition_datetime',
    'defocus',
    'detector_name',
    'energy_filter',
    'phase_plate',
    'image_size_x',
    'image_size_y',
    'binning_x',
    'binning_y',
  ]) {
    assert.ok(field in records[0]!, field);
  }
  assert.equal(records[1]!.acquisition_datetime, '2025-01-08T15:49:18.1158288+00:00');
});

test('a bad file: one clear error naming it, exit 1, the good files still printed', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parse-cli-'));
  try {
    const truncated = join(dir, 'EpuSession.dm');
    writeFileSync(truncated, '<EpuSessionXml xmlns="http://schemas.datacontract.org/2004/07/Applications.Epu.Persistence"><Name>x</Na');
    const good = join(EXAMPLE, 'EpuSession.dm');
    const { code, stdout, stderr } = await smartem('agent', 'parse', 'session', good, truncated, '--json');
    assert.equal(code, 1);
    const out = JSON.parse(stdout) as Record<string, unknown>[];
    assert.equal(out[0]!.id, '9015527');
    assert.equal(out[1]!.path, truncated);
    assert.match(String(out[1]!.error), /not well-formed/);
    assert.equal(
      stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')).length,
      1,
    );
    assert.ok(stderr.includes(`error: ${truncated}: not well-formed XML`));

    const human = await smartem(
      'agent',
      'parse',
      'gridsquare-metadata',
      join(SAMPLES, 'smartem-decisions/docs/assets/metadata_spa_acquisition/GridSquare_4590776.dm'),
    );
    assert.equal(human.code, 0);
    assert.match(human.stdout, /foilhole_positions: 570/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parse dir --json: counts, orphans, warnings, errors', { skip: SKIP }, async () => {
  const { code, stdout } = await smartem('agent', 'parse', 'dir', SAMPLES, '--json');
  assert.equal(code, 0);
  const out = JSON.parse(stdout) as { counts: object; orphans: unknown[]; warnings: string[]; errors: unknown[] };
  assert.deepEqual(out.counts, { acquisitions: 1, grids: 5, atlases: 3, gridsquares: 718, foilholes: 3, micrographs: 55 });
  assert.equal(out.orphans.length, 55);
  assert.ok(out.warnings.length > 0);
  assert.deepEqual(out.errors, []);
  assert.equal('entities' in out, false, 'entities only with --entities');
  const text = await smartem('agent', 'parse', 'dir', EXAMPLE);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /grids 1, atlases 0, grid squares 2, foil holes 2, micrographs 4/);
});

test("parse dir --json --entities: the entities the directory parse assembles, as the watch's assembler maps them", {
  skip: SKIP,
}, async () => {
  const { code, stdout } = await smartem('agent', 'parse', 'dir', EXAMPLE, '--json', '--entities');
  assert.equal(code, 0);
  const out = JSON.parse(stdout) as { entities: { key: string; kind: string; parents: string[]; fields: Record<string, unknown> }[] };
  const expected = (await parseEpuDirectory(EXAMPLE, { workers: 0, entities: true })).entities!;
  assert.deepEqual(out.entities, JSON.parse(JSON.stringify([...expected.values()])));
  const micrographs = out.entities.filter((e) => e.kind === 'micrograph');
  assert.equal(micrographs.length, 4);
  for (const m of micrographs)
    assert.ok(String(m.fields.manifest_file).startsWith(`${EXAMPLE}/Images-Disc1/`), String(m.fields.manifest_file));
  assert.ok(out.entities.some((e) => e.kind === 'acquisition' && e.fields.instrument_model === 'TITAN52336320'));
  const withoutJson = await smartem('agent', 'parse', 'dir', EXAMPLE, '--entities');
  assert.equal(withoutJson.code, 1);
  assert.match(withoutJson.stderr, /--entities needs --json/);
});

test('validate: exit 1 and each problem listed; exit 0 on a valid grid', { skip: SKIP }, async () => {
  const invalid = await smartem('agent', 'validate', EXAMPLE);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stdout, /^Invalid EPU project dir\. Found the following issues:\n- Missing required directory: Metadata\n$/);
  const grid = mkdtempSync(join(tmpdir(), 'validate-'));
  try {
    for (const d of ['Metadata', 'Images-Disc1']) mkdirSync(join(grid, d));
    writeFileSync(join(grid, 'EpuSession.dm'), readFileSync(join(EXAMPLE, 'EpuSession.dm')));
    const valid = await smartem('agent', 'validate', grid);
    assert.equal(valid.code, 0);
    assert.match(valid.stdout, /structurally valid/);
  } finally {
    rmSync(grid, { recursive: true, force: true });
  }
});
