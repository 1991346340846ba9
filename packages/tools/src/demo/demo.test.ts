// `smartem demo` as a user runs it (a real child process): exit 0 once the backend holds the whole simulated visit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../cli/bin/smartem.js', import.meta.url));

test('smartem demo ingests a small visit and exits 0 with a summary', async () => {
  const child = spawn(
    process.execPath,
    [bin, 'demo', '--squares', '1', '--holes-per-square', '2', '--shots-per-hole', '2', '--grids', '2', '--fast', '--timeout', '240'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /Visit fully ingested/);
  assert.match(out, /backend\s+1\/1 acquisition, 2\/2 grids, (\d+)\/\1 squares, (\d+)\/\2 foil holes, 8\/8 micrographs/);
});
