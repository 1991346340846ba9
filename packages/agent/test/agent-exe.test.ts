/**
 * The Windows agent executable (`npm run build:agent-exe` → dist/smartem-agent.exe) run under wine: its version, a
 * whole-directory parse equal to the Linux command's, and a live watch of a directory EPU-sim writes while it runs.
 * Under wine the executable's stdout and stderr go to files (pipes to a Windows process fail with EBADF).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '@smartem/common';
import { MIN_FILES_FOR_WORKERS } from '@smartem/epu';
import { generateVisit, playVisit } from '@smartem/epu-sim';
import { repoRoot, startSmartem } from './support/processes.ts';

const exe = join(repoRoot, 'dist', 'smartem-agent.exe');
const wine = spawnSync('wine', ['--version'], { encoding: 'utf8' });
const skip =
  wine.status !== 0
    ? 'wine is not installed (apt-get install wine wine64)'
    : !existsSync(exe)
      ? `${exe} is missing (npm run build:agent-exe)`
      : false;

const prefix = join(repoRoot, 'node_modules', '.cache', 'smartem-agent-exe', 'wineprefix');
const wineEnv = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' };

/** A POSIX path as the executable sees it under wine (drive Z: is the root of the file system). */
const windowsPath = (path: string) => `Z:${path.replaceAll('/', '\\')}`;

/** Runs the executable to completion; stdout and stderr from their files. */
function runExe(args: string[], dir: string): { status: number | null; stdout: string; stderr: string } {
  const out = join(dir, `stdout-${Date.now()}`);
  const err = join(dir, `stderr-${Date.now()}`);
  const result = spawnSync('sh', ['-c', 'wine "$0" "$@" > "$OUT" 2> "$ERR" < /dev/null', exe, ...args], {
    env: { ...wineEnv, OUT: out, ERR: err },
    timeout: 300_000,
  });
  return { status: result.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

/** Paths in the Windows output written the way the Linux command writes them. */
function posixPaths(value: unknown): unknown {
  if (typeof value === 'string') return /^Z:\\/.test(value) ? value.slice(2).replaceAll('\\', '/') : value;
  if (Array.isArray(value)) return value.map(posixPaths);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, posixPaths(v)]));
  return value;
}

describe('the Windows agent executable under wine', { skip, timeout: 600_000 }, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'agent-exe-'));
    if (!existsSync(join(prefix, 'system.reg'))) {
      mkdirSync(prefix, { recursive: true });
      // Node refuses the Windows 7 that a new prefix reports.
      execFileSync('winecfg', ['-v', 'win10'], { env: wineEnv, stdio: 'ignore' });
    }
  });
  after(() => {
    spawnSync('wineserver', ['-k'], { env: wineEnv });
    rmSync(work, { recursive: true, force: true });
  });

  test('--version prints the version', () => {
    const { status, stdout } = runExe(['--version'], work);
    assert.equal(status, 0);
    assert.equal(stdout.trim(), VERSION);
  });

  test('parse dir gives the JSON the Linux command gives (worker threads included)', async () => {
    const visit = join(work, 'visit');
    // More files than the parser's threshold for worker threads, so the worker bundled as an asset runs too.
    await generateVisit({ out: visit, squares: 12, holesPerSquare: 10, shotsPerHole: 4, seed: 11 });
    const linux = spawnSync(process.execPath, [join(repoRoot, 'packages/cli/bin/smartem.js'), 'agent', 'parse', 'dir', visit, '--json'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    assert.equal(linux.status, 0, linux.stderr);
    const windows = runExe(['parse', 'dir', windowsPath(visit), '--json', '-v'], work);
    assert.equal(windows.status, 0, windows.stderr);
    assert.ok(readdirSync(visit, { recursive: true }).length > MIN_FILES_FOR_WORKERS);
    assert.deepEqual(posixPaths(JSON.parse(windows.stdout)), JSON.parse(linux.stdout));
  });

  test('watch --dry-run follows a directory written while it runs', async () => {
    const dir = join(work, 'live');
    mkdirSync(dir);
    const err = join(work, 'watch-stderr');
    const child: ChildProcess = spawn(
      'sh',
      [
        '-c',
        'exec wine "$0" "$@" > /dev/null 2> "$ERR" < /dev/null',
        exe,
        'watch',
        windowsPath(dir),
        '--dry-run',
        '-v',
        '--status-interval',
        '1',
      ],
      { env: { ...wineEnv, ERR: err }, stdio: 'ignore' },
    );
    try {
      await playVisit({ out: dir, squares: 3, holesPerSquare: 4, shotsPerHole: 2, seed: 5, speed: 200 });
      // What the Linux agent makes of the finished tree is the expectation.
      const linux = startSmartem(['agent', 'watch', dir, '--dry-run', '-v', '--status-interval', '1']);
      const expected = await lastStatus(() => linux.output(), /files (\d+)\/\1 parsed, entities (\d+)\/\2 synced/);
      await linux.stop();
      const seen = await lastStatus(() => (existsSync(err) ? readFileSync(err, 'utf8') : ''), new RegExp(escapeRegExp(expected)));
      assert.equal(seen, expected);
    } finally {
      child.kill('SIGKILL');
      spawnSync('wineserver', ['-k'], { env: wineEnv });
    }
  });
});

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first status line matching `pattern` in a process's output, within two minutes. */
async function lastStatus(output: () => string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = pattern.exec(output());
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`no status line matching ${pattern} in:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
