import { createHash } from 'node:crypto';
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
