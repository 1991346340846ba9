// format-xml and find-foilhole-duplicates, on the real samples (read in place; formatted copies go to a temp dir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { classifyEpuPath, listFiles, parseEpuXml } from '@smartem/epu';
import { prettyPrintXml } from '../src/xml-tools/format-xml.ts';
import { findFoilholeDuplicates } from '../src/xml-tools/foilhole-duplicates.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SAMPLES = resolve(ROOT, '../shared/epu-samples');
const SKIP = existsSync(SAMPLES) ? false : `real EPU samples not found at ${SAMPLES}`;

function smartem(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'packages/cli/bin/smartem.js'), ...args], { cwd: ROOT }, (error, stdout) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

test('pretty-printing every EPU file keeps every parsed value, and is idempotent', { skip: SKIP }, async () => {
  const files = (await listFiles(SAMPLES)).files.filter((f) => classifyEpuPath(f));
  assert.ok(files.length >= 80);
  for (const file of files) {
    const kind = classifyEpuPath(file)!.kind;
    const raw = readFileSync(file);
    const pretty = prettyPrintXml(raw);
    assert.ok(pretty.startsWith('<?xml version="1.0" ?>\n'));
    assert.ok(!/\n\s*\n/.test(pretty), `blank line in ${file}`);
    assert.deepEqual(parseEpuXml(kind, pretty, file), parseEpuXml(kind, raw, file), file);
    assert.equal(prettyPrintXml(pretty), pretty, file);
  }
});

test('format-xml CLI: rewrites in place with a backup, reports and keeps a broken file, dry run touches nothing', {
  skip: SKIP,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'format-xml-'));
  try {
    const session = join(dir, 'EpuSession.dm');
    copyFileSync(join(SAMPLES, 'EMharvest/_repo_data/Supervisor_20230919_140141_84_bi23047-106_grid1/EpuSession.dm'), session);
    const original = readFileSync(session, 'utf8');
    writeFileSync(join(dir, 'broken.xml'), '<a><b>');
    writeFileSync(join(dir, 'notes.txt'), 'not xml');

    const dry = await smartem('tools', 'format-xml', dir, '--dry-run');
    assert.equal(dry.code, 0);
    assert.deepEqual(dry.stdout.trim().split('\n').sort(), [`Would format: ${join(dir, 'broken.xml')}`, `Would format: ${session}`].sort());
    assert.equal(readFileSync(session, 'utf8'), original);

    const run = await smartem('tools', 'format-xml', dir, '-b');
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`✓ Formatted: ${session}`));
    assert.match(run.stdout, /✗ Error processing .*broken\.xml: unclosed element <b>/);
    assert.equal(readFileSync(join(dir, 'broken.xml'), 'utf8'), '<a><b>');
    const backups = readdirSync(dir).filter((f) => /^EpuSession\.dm\.\d{8}_\d{6}\.bak$/.test(f));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(join(dir, backups[0]!), 'utf8'), original);
    assert.match(
      readFileSync(session, 'utf8'),
      /^<\?xml version="1\.0" \?>\n<EpuSessionXml [^\n]*>\n {2}<Id xmlns="[^"]+">19503064<\/Id>\n/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('find-foilhole-duplicates: holes with manifests at several times', { skip: SKIP }, async () => {
  const report = await findFoilholeDuplicates(SAMPLES);
  assert.deepEqual(report.summary, { total_groups: 2, total_files: 4, average_files_per_group: 2 });
  assert.deepEqual(
    report.duplicates.FoilHole_9015889?.map((f) => f.timestamp),
    ['20250108_154715', '20250108_154725'],
  );
  const json = await smartem('tools', 'find-foilhole-duplicates', SAMPLES, '--format', 'json');
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), report);
  const none = await smartem('tools', 'find-foilhole-duplicates', join(SAMPLES, 'EMharvest'));
  assert.equal(none.stdout, 'No duplicates found\n');
  const missing = await smartem('tools', 'find-foilhole-duplicates', join(SAMPLES, 'does-not-exist'));
  assert.equal(missing.code, 1);
});
