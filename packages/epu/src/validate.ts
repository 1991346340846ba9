/**
 * Structural check of an EPU grid directory, with the original's messages, on Windows and POSIX
 * paths alike, plus a parse of EpuSession.dm. A directory without EpuSession.dm that holds grid directories below it
 * (a visit) is checked grid by grid, each problem prefixed with the grid's relative path.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseEpuSession } from './parsers/session.ts';
import { readEpuFile } from './parse-file.ts';
import { EpuParseError } from './errors.ts';
import { listFiles } from './directory/walk.ts';

export interface ValidationResult {
  valid: boolean;
  /** Directories checked (one per grid). */
  grids: string[];
  errors: string[];
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Problems of one grid directory, in the original's order and wording. */
export async function validateGridDirectory(dir: string): Promise<string[]> {
  const errors: string[] = [];
  const sessionPath = join(dir, 'EpuSession.dm');
  if (!(await isFile(sessionPath))) errors.push('Missing required file: EpuSession.dm');
  else {
    try {
      parseEpuSession(await readEpuFile(sessionPath), sessionPath);
    } catch (error) {
      errors.push(`Invalid EpuSession.dm: ${error instanceof EpuParseError ? error.reason : String(error)}`);
    }
  }
  if (!(await isDir(join(dir, 'Metadata')))) errors.push('Missing required directory: Metadata');
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const discs = entries.filter((e) => e.isDirectory() && /^Images-Disc(\d+)$/.test(e.name));
  if (discs.length === 0) errors.push('No Images-Disc directories found. At least Images-Disc1 should exist.');
  for (const d of discs) {
    if (Number(/^Images-Disc(\d+)$/.exec(d.name)![1]) < 1) errors.push(`Invalid disk number in ${d.name}: must be >= 1`);
  }
  return errors;
}

export async function validateEpuDirectory(path: string): Promise<ValidationResult> {
  const dir = resolve(path);
  if (!(await isDir(dir))) return { valid: false, grids: [], errors: [`Not a directory: ${path}`] };
  if (!(await isFile(join(dir, 'EpuSession.dm')))) {
    const below = (await listFiles(dir)).files
      .filter((f) => /[/\\]EpuSession\.dm$/.test(f))
      .map((f) => f.slice(0, -'/EpuSession.dm'.length));
    if (below.length > 0) {
      const errors: string[] = [];
      for (const grid of below) {
        const name = relative(dir, grid).replaceAll('\\', '/');
        for (const e of await validateGridDirectory(grid)) errors.push(`${name}: ${e}`);
      }
      return { valid: errors.length === 0, grids: below, errors };
    }
  }
  const errors = await validateGridDirectory(dir);
  return { valid: errors.length === 0, grids: [dir], errors };
}
