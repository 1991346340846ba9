import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedEpuFile } from '@smartem/epu';
import { FileQueue } from './file-queue.ts';

const sample = join(
  fileURLToPath(new URL('../../../../../shared/epu-samples/EMharvest/_repo_data', import.meta.url)),
  'Supervisor_20230919_140141_84_bi23047-106_grid1/Images-Disc1/GridSquare_19493759/Data/FoilHole_19513699_Data_19508496_19508498_20230919_154056.xml',
);
const skip = existsSync(sample) ? false : `real EPU samples not found at ${sample}`;

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'smartem-fq-'));
  const path = join(root, 'grid1/Images-Disc1/GridSquare_5/Data/FoilHole_6_Data_7_8_20230919_154056.xml');
  await mkdir(dirname(path), { recursive: true });
  const parsed: ParsedEpuFile[] = [];
  const broken: string[] = [];
  const queue = new FileQueue({
    root,
    onParsed: (file) => parsed.push(file),
    onBroken: (p) => broken.push(p),
    retryBaseMs: 5,
    brokenAfterAttempts: 3,
    brokenAfterMs: 0,
  });
  return { root, path, parsed, broken, queue };
}

test('a half-written manifest is retried, then parsed once complete; repeated events are coalesced', { skip }, async () => {
  const xml = await readFile(sample);
  const { root, path, parsed, broken, queue } = await setup();
  try {
    await writeFile(path, xml.subarray(0, Math.floor(xml.length / 2)));
    queue.offer(path);
    while (queue.stats.retries === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(parsed.length, 0, 'half a file never yields a record');
    await appendFile(path, xml.subarray(Math.floor(xml.length / 2)));
    for (let i = 0; i < 5; i++) queue.offer(path);
    await queue.whenIdle();
    assert.equal(parsed.length, 1);
    assert.equal(broken.length, 0);
    const file = parsed[0]!;
    assert.equal(file.file.kind, 'micrograph-manifest');
    assert.equal(file.file.foilhole_id, '6');
    assert.equal(file.file.grid_dir, 'grid1');
    assert.equal((file.record as { unique_id: string }).unique_id, '3f181e15-e938-4296-a7ec-a87b983e8570');
    queue.offer(path); // same size and mtime: not parsed again
    await queue.whenIdle();
    assert.equal(parsed.length, 1);
    await writeFile(path, Buffer.concat([xml, Buffer.from('\n')])); // rewritten: parsed again, still one file
    queue.offer(path);
    await queue.whenIdle();
    assert.equal(parsed.length, 2);
    assert.deepEqual([queue.stats.parsed, queue.stats.seen], [1, 1]);
  } finally {
    queue.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('a file that stays malformed is reported with its path and does not block the others', { skip }, async () => {
  const { root, path, parsed, broken, queue } = await setup();
  try {
    const bad = join(root, 'grid1/Images-Disc1/GridSquare_5/Data/FoilHole_9_Data_7_8_20230919_154057.xml');
    await writeFile(bad, '<MicroscopeImage><oops');
    await writeFile(path, await readFile(sample));
    await writeFile(join(root, 'grid1/notes.txt'), 'not EPU');
    queue.offer(bad);
    queue.offer(path);
    queue.offer(join(root, 'grid1/notes.txt'));
    await queue.whenIdle();
    assert.deepEqual(broken, [bad]);
    assert.equal(parsed.length, 1);
    assert.equal(queue.stats.seen, 2);
    assert.equal(queue.stats.broken, 1);
  } finally {
    queue.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('a file over maxFileBytes is reported once and never parsed; rewritten within the limit, it is read', { skip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'smartem-fq-'));
  const path = join(root, 'grid1/Images-Disc1/GridSquare_5/Data/FoilHole_6_Data_7_8_20230919_154056.xml');
  await mkdir(dirname(path), { recursive: true });
  const xml = await readFile(sample);
  const parsed: ParsedEpuFile[] = [];
  const oversize: Array<[string, number]> = [];
  const queue = new FileQueue({
    root,
    onParsed: (f) => parsed.push(f),
    onBroken: () => {},
    maxFileBytes: xml.length,
    onOversize: (p, bytes) => oversize.push([p, bytes]),
  });
  try {
    await writeFile(path, Buffer.concat([xml, Buffer.from(' ')]));
    queue.offer(path);
    await queue.whenIdle();
    queue.offer(path); // unchanged: not reported again
    await queue.whenIdle();
    assert.deepEqual(oversize, [[path, xml.length + 1]]);
    assert.deepEqual([parsed.length, queue.stats.oversize, queue.stats.broken], [0, 1, 0]);
    await writeFile(path, xml);
    queue.offer(path);
    await queue.whenIdle();
    assert.deepEqual([parsed.length, queue.stats.oversize, queue.stats.parsed], [1, 0, 1]);
  } finally {
    queue.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('holdBack keeps micrograph manifests queued (every other kind is still read) until resume', { skip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'smartem-fq-'));
  const parsed: ParsedEpuFile[] = [];
  let hold = true;
  const queue = new FileQueue({ root, onParsed: (f) => parsed.push(f), onBroken: () => {}, holdBack: () => hold });
  try {
    const square = join(root, 'grid1/Images-Disc1/GridSquare_19493759');
    const hole = join(square, 'FoilHoles/FoilHole_19507368_20230919_142541.xml');
    const micrographs = [1, 2, 3].map((n) => join(square, `Data/FoilHole_19513699_Data_19508496_1950849${n}_20230919_154056.xml`));
    await mkdir(dirname(hole), { recursive: true });
    await mkdir(dirname(micrographs[0]!), { recursive: true });
    await writeFile(hole, await readFile(join(dirname(sample), '../FoilHoles/FoilHole_19507368_20230919_142541.xml')));
    for (const m of micrographs) await writeFile(m, await readFile(sample));
    for (const m of micrographs) queue.offer(m);
    queue.offer(hole);
    // The foil hole manifest is read (a parent the held micrographs may wait for); the micrographs stay queued.
    while (parsed.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(
      parsed.map((f) => f.kind),
      ['foilhole-manifest'],
    );
    assert.equal(queue.stats.queued, 3);
    assert.equal(queue.stats.holding, true);
    assert.equal(queue.isIdle(), false, 'held files are not done');
    hold = false;
    queue.resume();
    await queue.whenIdle();
    assert.equal(parsed.filter((f) => f.kind === 'micrograph-manifest').length, 3);
    assert.equal(queue.stats.holding, false);
  } finally {
    queue.stop();
    await rm(root, { recursive: true, force: true });
  }
});
