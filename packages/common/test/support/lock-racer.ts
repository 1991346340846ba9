/**
 * One side of the lock race in lock.test.ts. Reads commands on stdin: `go <dir> <epoch ms>` waits (spinning) until
 * that moment, then tries to lock <dir> and answers `owned` or `held`; `release` releases and answers `released`.
 */
import { createInterface } from 'node:readline';
import { DirectoryLockedError, lockDirectory } from '../../src/lock.ts';

let release: (() => void) | undefined;
for await (const line of createInterface({ input: process.stdin })) {
  const [command, dir, at] = line.split(' ');
  if (command === 'go') {
    while (Date.now() < Number(at));
    try {
      release = lockDirectory(dir, { file: 'race.lock', what: 'directory' });
      process.stdout.write('owned\n');
    } catch (error) {
      process.stdout.write(error instanceof DirectoryLockedError ? 'held\n' : `error ${(error as Error).message}\n`);
    }
  } else if (command === 'release') {
    release?.();
    release = undefined;
    process.stdout.write('released\n');
  }
}
