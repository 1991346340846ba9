import { homedir } from 'node:os';
import { join } from 'node:path';

/** The per-user data directory of `smartem up` (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SMARTEM_DATA_DIR) return env.SMARTEM_DATA_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'smartem');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'smartem');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'smartem');
}
