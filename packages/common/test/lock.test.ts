import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DirectoryLockedError, lockDirectory, processStartTime } from '../src/lock.ts';

const options = { file: 'test.lock', what: 'test directory' };

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'smartem-lock-'));
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

function staleRecord(pid: number, start: string | null = null): string {
  return JSON.stringify({
    pid,
    start,
    boot: null,
    host: hostname(),
    token: randomBytes(12).toString('hex'),
    since: '2026-01-01T00:00:00.000Z',
  });
}

test('a held lock is refused with the directory and the holder named; released, it can be taken again', () => {
  const dir = scratchDir();
  try {
    const release = lockDirectory(dir, options);
    assert.throws(
      () => lockDirectory(dir, options),
      (error: unknown) =>
        error instanceof DirectoryLockedError &&
        error.message.startsWith(`test directory ${dir} is in use by process ${process.pid} since `) &&
        error.message.endsWith(`(lock file ${join(dir, 'test.lock')})`) &&
        !error.stack!.includes('\n'),
    );
    release();
    release();
    assert.equal(existsSync(join(dir, 'test.lock')), false);
    lockDirectory(dir, options)();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process that exited is taken over, in the current format and the old pid-only one', async () => {
  const dir = scratchDir();
  try {
    const pid = await deadPid();
    for (const text of [staleRecord(pid), String(pid)]) {
      writeFileSync(join(dir, 'test.lock'), text);
      const release = lockDirectory(dir, options);
      assert.equal(JSON.parse(readFileSync(join(dir, 'test.lock'), 'utf8')).pid, process.pid);
      release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pid reuse: a lock naming our own pid that we did not take, or a live pid that started at another time, is stale', async () => {
  const dir = scratchDir();
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    // A restarted container process often gets the pid its crashed predecessor had.
    writeFileSync(join(dir, 'test.lock'), staleRecord(process.pid, processStartTime(process.pid)));
    lockDirectory(dir, options)();

    await new Promise((resolve) => sleeper.once('spawn', resolve));
    const start = processStartTime(sleeper.pid!);
    if (start !== null) {
      writeFileSync(join(dir, 'test.lock'), staleRecord(sleeper.pid!, `${start}0`));
      lockDirectory(dir, options)();
      writeFileSync(join(dir, 'test.lock'), staleRecord(sleeper.pid!, start));
      assert.throws(() => lockDirectory(dir, options), new RegExp(`in use by process ${sleeper.pid} since`));
    }
  } finally {
    sleeper.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

class Racer {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  constructor() {
    const script = fileURLToPath(new URL('./support/lock-racer.ts', import.meta.url));
    this.child = spawn(process.execPath, ['--import', 'tsx', script]);
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }
  async ask(line: string): Promise<string> {
    this.child.stdin.write(`${line}\n`);
    const next = await this.lines.next();
    assert.equal(next.done, false, 'racer exited');
    return next.value;
  }
}

test('two processes taking over the same stale lock at the same moment: exactly one owns it, every round', async () => {
  const rounds = 60;
  const dir = scratchDir();
  const racers = [new Racer(), new Racer()];
  try {
    const pid = await deadPid();
    // Warm up (module loading) so both start each round on time.
    for (const racer of racers) assert.equal(await racer.ask('release'), 'released');
    const outcomes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      writeFileSync(join(dir, 'race.lock'), staleRecord(pid));
      const at = Date.now() + 40;
      const answers = await Promise.all(racers.map((racer) => racer.ask(`go ${dir} ${at}`)));
      outcomes.push(answers.join('/'));
      assert.equal(answers.filter((a) => a === 'owned').length, 1, `round ${round}: ${answers.join(', ')}`);
      assert.deepEqual(
        answers.filter((a) => a !== 'owned'),
        ['held'],
        `round ${round}: ${answers.join(', ')}`,
      );
      await Promise.all(racers.map((racer) => racer.ask('release')));
      assert.equal(existsSync(join(dir, 'race.lock')), false);
    }
    assert.equal(outcomes.length, rounds);
  } finally {
    for (const racer of racers) racer.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
