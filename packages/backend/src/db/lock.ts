import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file that makes one process the only owner of a PGlite data directory (PGlite itself has no lock). */
export const LOCK_FILE = 'smartem.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `<dir>/smartem.lock` exclusively, holding our PID. A lock left by a process that no longer exists is taken
 * over; a live owner is an error naming it. Returns the function that releases the lock.
 */
export function acquireDirectoryLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
        throw new Error(`data directory ${dir} is in use by process ${owner} (lock file ${path})`);
      }
      unlinkSync(path); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the lock file ${path}`);
}
