// `smartem agent watch` as a user runs it: one clear error and exit 1 for a directory that does not exist and for a
// backend that rejects the credentials; `--dry-run` parses real EPU files without any backend; `--status` reads the
// journal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockDirectory } from '@smartem/common';
import { repoRoot, startSmartem } from './support/processes.ts';
import { tempDir } from './support/scenario.ts';

const tmp = await tempDir('smartem-watch-cli-');
after(() => tmp.remove());

test('a directory that does not exist: exit 1 naming it', async () => {
  const missing = join(tmp.path, 'no-such-visit');
  const child = startSmartem(['agent', 'watch', missing, '--api', 'http://127.0.0.1:9', '--state', join(tmp.path, 's1')]);
  assert.equal(await child.exited, 1);
  assert.match(child.output(), new RegExp(`error: directory ${missing.replace(/[/\\]/g, '.')} does not exist`));
});

test('no DIR and no SMARTEM_AGENT_WATCH_DIR: exit 2 saying where to set it', async () => {
  const child = startSmartem(['agent', 'watch', '--api', 'http://127.0.0.1:9'], { SMARTEM_AGENT_WATCH_DIR: '' });
  assert.equal(await child.exited, 2);
  assert.match(
    child.output(),
    /error: no directory to watch: give DIR, or set SMARTEM_AGENT_WATCH_DIR in smartem-agent\.env beside the executable/,
  );
});

test('--mode auto or confirm without --athena, an --athena that is not a URL, an unknown mode: one clear error each', async () => {
  const dir = join(tmp.path, 'visit-for-modes');
  mkdirSync(dir, { recursive: true });
  const run = async (args: string[]) => {
    const child = startSmartem(['agent', 'watch', dir, '--api', 'http://127.0.0.1:9', '--state', join(tmp.path, 's-modes'), ...args]);
    return { code: await child.exited, output: child.output() };
  };
  const noAthena = await run(['--mode', 'confirm']);
  assert.equal(noAthena.code, 1);
  assert.match(noAthena.output, /error: --mode confirm sends decisions to Athena: --athena URL is required/);
  const badUrl = await run(['--mode', 'auto', '--athena', 'athena:8000 ']);
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.output, /error: --athena "athena:8000 " is not an http\(s\) URL/);
  const badMode = await run(['--mode', 'sometimes', '--athena', 'http://127.0.0.1:9']);
  assert.equal(badMode.code, 1);
  assert.match(badMode.output, /argument 'sometimes' is invalid. Allowed choices are observe, confirm, auto/);
  assert.doesNotMatch(noAthena.output + badUrl.output + badMode.output, /\n\s+at /, 'no stack trace');
});

test('a state directory another agent holds: exit 1 naming the directory and the holder, no stack trace', async () => {
  const state = join(tmp.path, 's-held');
  mkdirSync(state);
  const release = lockDirectory(state, { file: 'agent.lock', what: 'state directory' });
  try {
    const child = startSmartem(['agent', 'watch', tmp.path, '--api', 'http://127.0.0.1:9', '--state', state]);
    assert.equal(await child.exited, 1);
    const escaped = state.replace(/[/\\]/g, '.');
    assert.match(
      child.output(),
      new RegExp(`error: state directory ${escaped} is in use by process ${process.pid} since .*agent\\.lock\\)`),
    );
    assert.doesNotMatch(child.output(), /\n\s+at /);
  } finally {
    release();
  }
});

test('a backend that rejects the credentials: exit 1 with a clear message, and the token was sent', async () => {
  const auth: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    auth.push(req.headers.authorization);
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'invalid token' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = startSmartem(['agent', 'watch', tmp.path, '--api', url, '--token', 'wrong', '--state', join(tmp.path, 's2')]);
    assert.equal(await child.exited, 1);
    assert.match(child.output(), /error: the backend at .* rejected our credentials \(HTTP 401\)/);
    assert.deepEqual(auth, ['Bearer wrong']);
  } finally {
    server.close();
  }
});

const sample = join(repoRoot, '../shared/epu-samples/EMharvest/_repo_data');
const withoutSamples = existsSync(sample) ? false : `real EPU samples not found at ${sample}`;
test('--dry-run on real EPU files: everything parsed and mapped, the micrograph without its foil hole is an orphan', {
  skip: withoutSamples,
}, async () => {
  const child = startSmartem(['agent', 'watch', sample, '--dry-run']);
  while (!child.output().includes('caught up') && child.proc.exitCode === null) await sleep(100);
  assert.equal(await child.stop(), 0, child.output());
  // 1 acquisition + 1 grid + 1 atlas + 35 tiles + 272 squares + 272 links + 1 foil hole + 1 micrograph (orphan: its
  // FoilHole_19513699 has no manifest or metadata in this sample, so it waits and is counted, not dropped).
  assert.match(child.output(), /files 11\/11 parsed, entities 583\/584 synced, 1 pending, 1 orphans/);
});

test("--dry-run on one grid directory: its atlas, outside the watched directory (the visit's atlas/ folder), is read", {
  skip: withoutSamples,
}, async () => {
  const grid = join(sample, 'Supervisor_20230919_140141_84_bi23047-106_grid1');
  const child = startSmartem(['agent', 'watch', grid, '--dry-run']);
  while (!child.output().includes('caught up') && child.proc.exitCode === null) await sleep(100);
  assert.equal(await child.stop(), 0, child.output());
  // The same entities as the whole visit above: the atlas, its 35 tiles, 272 squares and 272 links come from
  // ../atlas/…/Sample2/Atlas/Atlas.dm, which the grid's EpuSession.dm names; the watch itself reads the grid's 4 files.
  assert.match(child.output(), /files 4\/4 parsed, entities 583\/584 synced, 1 pending, 1 orphans/);
});

test('SIGTERM while the backend is unreachable: exit 0 with the final status, the journal keeps everything', {
  skip: withoutSamples,
}, async () => {
  const state = join(tmp.path, 's3');
  const child = startSmartem(['agent', 'watch', sample, '--api', 'http://127.0.0.1:9', '--state', state, '-v']);
  while (!child.output().includes('backend unavailable') && child.proc.exitCode === null) await sleep(100);
  // Stopping settles the watch; that must not start the live-mode status timer, which kept the process alive.
  child.proc.kill('SIGTERM');
  const exit = await Promise.race([
    child.exited,
    sleep(120_000, undefined, { ref: false }).then(() => 'still running 120 s after SIGTERM'),
  ]);
  if (typeof exit === 'string') await child.kill();
  assert.equal(exit, 0, child.output().slice(-2000));
  assert.match(child.output(), /stopped \(SIGTERM\): .*584 pending/);
});
