/** Lists every file below a directory (no symlink following), reading directories concurrently. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalkResult {
  files: string[];
  /** Directories that could not be read, with the reason. */
  unreadable: { path: string; reason: string }[];
}

/** `onCount` is called with the number of files found so far, after each directory. */
export async function listFiles(
  root: string,
  options: { concurrency?: number; onCount?: (files: number) => void } = {},
): Promise<WalkResult> {
  const concurrency = options.concurrency ?? 4; // libuv runs 4 file-system requests at a time by default
  const files: string[] = [];
  const unreadable: WalkResult['unreadable'] = [];
  const pending: string[] = [root];
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (active < concurrency && pending.length > 0) {
        const dir = pending.pop()!;
        active++;
        readdir(dir, { withFileTypes: true })
          .then((entries) => {
            for (const entry of entries) {
              const path = join(dir, entry.name);
              if (entry.isDirectory()) pending.push(path);
              else if (entry.isFile()) files.push(path);
            }
            options.onCount?.(files.length);
          })
          .catch((error: NodeJS.ErrnoException) => unreadable.push({ path: dir, reason: error.code ?? error.message }))
          .finally(() => {
            active--;
            if (active === 0 && pending.length === 0) resolve();
            else pump();
          });
      }
    };
    pump();
  });
  files.sort();
  return { files, unreadable };
}
