import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** The default state directory of a watched directory: one folder per watched path under the user's data dir. */
export function defaultStateDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = resolve(root);
  const base =
    process.platform === 'win32'
      ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
      : (env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'));
  const id = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  const name = basename(abs).replace(/[^\w.-]+/g, '_') || 'root';
  return join(base, 'smartem', 'agent', `${name}-${id}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One agent per state directory: two writers would interleave journals. The lock file holds the owner's pid; a lock
 * left by a process that no longer exists (killed) is taken over.
 */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, 'agent.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.write(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new Error(`state directory ${stateDir} is in use by another agent (pid ${pid})`);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock state directory ${stateDir}`);
}
