// `smartem demo` as a user runs it (a real child process): a small visit that follows SmartEM's decisions, live
// "good so far" lines beside EPU's default order, its curve stored for the atlas page, a summary with the dashboard
// URL, exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../cli/bin/smartem.js', import.meta.url));

test('smartem demo plays a visit following SmartEM beside EPU default order and ends with the dashboard URL', async () => {
  const child = spawn(
    process.execPath,
    [bin, 'demo', '--squares', '3', '--holes-per-square', '6', '--shots-per-hole', '1', '--speed', '600', '--timeout', '240'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /EPU default: \d+ good holes of \d+ within beam time 9/);
  assert.match(out, /good so far: SmartEM \d+ \/ EPU default \d+ {2}\(beam time \d+ of 9, \d+ holes\)/);
  assert.match(out, /good holes {5}SmartEM \d+ \/ EPU default \d+ \(same grid, same beam time 9\)/);
  assert.match(out, /feedback {7}\d+ micrographs' processing results sent, 0 failed/);
  // EPU's default order stored for the atlas page's plot: one point per hole SmartEM collected (at least one).
  const stored = /EPU default {4}its curve beside SmartEM's: (\d+) points stored for the atlas page's plot/.exec(out);
  assert.ok(stored && Number(stored[1]) > 0, out);
  assert.match(out, /dashboard {6}http:\/\/127\.0\.0\.1:\d+\/ui\/grids\/[0-9a-f-]{36}/);
});
