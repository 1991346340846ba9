/** `smartem bench decisions` as a child process: the table as JSON, the protocol's invariants, clear input errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SMARTEM = join(ROOT, 'packages/cli/bin/smartem.js');
const CRYORL = resolve(ROOT, '../shared/decision-data/cryorl');

const run = (args: string[]) => spawnSync(process.execPath, [SMARTEM, 'bench', 'decisions', ...args], { cwd: ROOT, encoding: 'utf8' });

test('--json: every policy from the same starts, oracle is the denominator, learners beat their baselines', {
  skip: !existsSync(CRYORL) && `no ${CRYORL}`,
}, () => {
  const r = run(['--budget', '60', '--starts', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, { mean: number; sd: number; fraction_of_oracle: number }>;
  assert.deepEqual(Object.keys(out), [
    'random',
    'systematic',
    'greedy-predictions',
    'oracle',
    'random-mock',
    'online-learner',
    'model-weighting+predictions',
    'online-learner+predictions',
  ]);
  assert.equal(out.oracle.fraction_of_oracle, 1);
  for (const v of Object.values(out)) assert.ok(v.mean >= 0 && v.sd >= 0 && v.fraction_of_oracle <= 1.0001);
  assert.ok(out['online-learner+predictions'].mean > out.random.mean);
});

test('the table ends with our best figure as a fraction of oracle; bad input names the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-decisions-'));
  try {
    const csv = join(dir, 'truth.csv');
    const holes = Array.from({ length: 40 }, (_, i) => {
      const name = `21mar02c_grid1c_0000${i % 2}gr_0000${i % 4}sq_v01_0000${i % 8}hl_v01_000${String(i).padStart(2, '0')}en-a`;
      return `${name},${i},${i},${i % 3 === 0 ? 4.5 : 8},0.9`;
    });
    writeFileSync(csv, holes.join('\n'));
    const ok = run(['--truth', csv, '--budget', '20', '--starts', '2']);
    assert.equal(ok.status, 0, ok.stderr);
    const lines = ok.stdout.trim().split('\n');
    assert.match(lines.at(-1)!, /^best: (online-learner|model-weighting)\S* [0-9.]+ good holes = [0-9.]+ of oracle$/);
    // --margins adds the learner that also uses the revealed CTF margins (no predictions here: without them only).
    const margins = run(['--truth', csv, '--budget', '20', '--starts', '2', '--margins', '--json']);
    assert.equal(margins.status, 0, margins.stderr);
    assert.deepEqual(
      Object.keys(JSON.parse(margins.stdout)).filter((k) => k.includes('margins')),
      ['online-learner+margins'],
    );
    // --diagnose: per policy, holes visited, hit rate and time per kind of move; the moves' time adds up to at least
    // the visits (every move costs ≥ 1).
    const diag = run(['--truth', csv, '--budget', '20', '--starts', '2', '--diagnose']);
    assert.equal(diag.status, 0, diag.stderr);
    assert.match(diag.stdout, /visited\s+hit rate\s+time: same patch \/ other patch \/ other square \/ other tile/);
    const oracle = /^oracle\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+) \/ ([0-9.]+) \/ ([0-9.]+) \/ ([0-9.]+)$/m.exec(diag.stdout);
    assert.ok(oracle, diag.stdout);
    const [visited, hit, ...time] = oracle.slice(1).map(Number);
    assert.ok(visited >= 1 && hit > 0 && hit <= 1, oracle[0]);
    assert.ok(time.reduce((a, b) => a + b, 0) >= visited, oracle[0]);
    writeFileSync(csv, `${holes[0]}\n${holes[1].replace(',1,1,', ',1,oops,')}\n`);
    const bad = run(['--truth', csv]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /truth\.csv: line 2, column 3: y must be a number, got "oops"/);
    const missing = run(['--truth', join(dir, 'nope.csv')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--truth file not found/);
    const structure = run(['--truth', csv, '--within-group', 'diagonal']);
    assert.notEqual(structure.status, 0);
    assert.match(structure.stderr, /--within-group <structure>' argument 'diagonal' is invalid\. must be gradient or quadrant/);
    assert.doesNotMatch(structure.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
