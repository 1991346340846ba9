/**
 * The Windows agent executable (`npm run build:agent-exe` → dist/smartem-agent.exe) run under wine: its version, a
 * whole-directory parse equal to the Linux command's, a live watch of a directory EPU-sim writes while it runs, and —
 * as installed on a microscope PC — a copy in a folder of its own with `smartem-agent.env` beside it, started without
 * arguments, syncing a visit to a backend that takes tokens from a real OpenID provider.
 * Under wine the executable's stdout and stderr go to files (pipes to a Windows process fail with EBADF).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '@smartem/common';
import { MIN_FILES_FOR_WORKERS } from '@smartem/epu';
import { generateVisit, playVisit } from '@smartem/epu-sim';
import { repoRoot, startBackend, startSmartem } from './support/processes.ts';
// The backend's test identity provider: the agent's tests depend on the backend already (devDependencies).
import { startTestProvider } from '../../backend/test/support/oidc.ts';

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

  test('copied to a folder of its own with smartem-agent.env beside it, run with no arguments: syncs a visit with client credentials', async (t) => {
    const secret = 'exe-agent-secret-5f3a1c';
    const idp = await startTestProvider({ 'krios-exe': { secret, realmRoles: ['smartem-agent'] }, viewer: { secret: 'viewer-exe' } });
    t.after(() => idp.close());
    const backend = await startBackend(join(work, 'db'), 0, {
      SMARTEM_OIDC_ISSUER: idp.issuer,
      SMARTEM_OIDC_ALLOWED_AZP: 'krios-exe,viewer',
    });
    t.after(() => backend.stop());
    const visit = await generateVisit({ out: join(work, 'installed-visit'), squares: 3, holesPerSquare: 4, shotsPerHole: 2, seed: 17 });
    // A folder with a space in its name, as under C:\Program Files; the working directory is elsewhere.
    const bin = join(work, 'SmartEM Agent');
    mkdirSync(bin);
    copyFileSync(exe, join(bin, 'smartem-agent.exe'));
    writeFileSync(
      join(bin, 'smartem-agent.env'),
      [
        `SMARTEM_API_URL=${backend.url}`,
        `SMARTEM_OIDC_ISSUER=${idp.issuer}`,
        'SMARTEM_AGENT_CLIENT_ID=krios-exe',
        `SMARTEM_AGENT_CLIENT_SECRET=${secret}`,
        `SMARTEM_AGENT_WATCH_DIR=${windowsPath(visit.root)}`,
        `SMARTEM_AGENT_STATE_DIR="${windowsPath(join(work, 'installed-state'))}"`,
        'SMARTEM_LOG_LEVEL=debug',
        '',
      ].join('\r\n'),
    );
    const out = join(work, 'installed-stdout');
    const err = join(work, 'installed-stderr');
    // Whatever this process's environment says about the agent would win over the file.
    const blank = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => /^SMARTEM_/.test(k))
        .map((k) => [k, '']),
    );
    const child = spawn('sh', ['-c', 'exec wine "$0" > "$OUT" 2> "$ERR" < /dev/null', join(bin, 'smartem-agent.exe')], {
      cwd: tmpdir(),
      env: { ...wineEnv, ...blank, OUT: out, ERR: err },
      stdio: 'ignore',
    });
    const output = () => [out, err].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join('');
    try {
      const viewer = await idp.token('viewer');
      const expected = visit.counts.micrographs;
      let synced = 0;
      const deadline = Date.now() + 180_000;
      while (synced < expected && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 1000));
        const res = await fetch(`${backend.url}/micrographs?limit=1000`, { headers: { authorization: `Bearer ${viewer}` } });
        synced = ((await res.json()) as unknown[]).length;
      }
      assert.equal(synced, expected, output().slice(-3000));
      assert.ok(idp.tokenRequests > 0);
      assert.match(output(), /"msg":"config file"/);
      assert.match(output(), /SmartEM Agent\\\\smartem-agent\.env/, 'the file beside the executable was read');
      assert.match(output(), /client credentials of krios-exe/);
      assert.ok(!output().includes(secret), 'the secret is in the output');
      assert.doesNotMatch(output(), /eyJ[\w-]+\.eyJ/, 'a token is in the output');
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
