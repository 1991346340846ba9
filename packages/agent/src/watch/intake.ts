import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';

export interface IntakeOptions {
  root: string;
  /** Each file path (absolute) the watcher or the scan reports. */
  onFile: (absPath: string) => void;
  onError: (error: Error) => void;
  /** Poll instead of native events (network shares), every `pollIntervalMs`. */
  poll?: boolean;
  pollIntervalMs?: number;
  /** Safety net: list the whole tree again every so often (0: never). Unchanged files cost one stat. */
  rescanIntervalMs?: number;
}

export interface Intake {
  /** Files found by the initial scan. */
  scanned: number;
  close(): Promise<void>;
}

/** EPU writes thousands of image and movie files the agent never reads; chokidar need not track them. */
function ignoredByExtension(path: string, stats?: { isFile(): boolean }): boolean {
  if (!stats?.isFile()) return false;
  return !(path.endsWith('.xml') || path.endsWith('.dm'));
}

/**
 * Watch first, then scan: the watcher starts (`ignoreInitial`) and reports from the moment it is ready; the scan then
 * lists what already exists. A file written during the scan is reported by one or both; the file queue coalesces
 * duplicates by path and size/mtime, so nothing falls in a gap between the two.
 */
export async function startIntake(opts: IntakeOptions): Promise<Intake> {
  const { watch } = await import('chokidar');
  const watcher: FSWatcher = watch(opts.root, {
    ignoreInitial: true,
    persistent: true,
    usePolling: opts.poll ?? false,
    interval: opts.pollIntervalMs ?? 1000,
    binaryInterval: opts.pollIntervalMs ?? 1000,
    ignored: ignoredByExtension,
    ignorePermissionErrors: true,
  });
  watcher.on('add', (path) => opts.onFile(path));
  watcher.on('change', (path) => opts.onFile(path));
  // EPU creates a directory and writes into it at once; files that land before the watch on the new directory is in
  // place would be missed, so list every new directory ourselves, now and once more shortly after.
  const timers = new Set<NodeJS.Timeout>();
  watcher.on('addDir', (dir) => {
    void scanTree(dir, opts.onFile);
    const timer = setTimeout(() => {
      timers.delete(timer);
      void scanTree(dir, opts.onFile);
    }, 1000);
    timers.add(timer);
  });
  watcher.on('error', (error) => opts.onError(error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  const scanned = await scanTree(opts.root, opts.onFile);
  const rescan = opts.rescanIntervalMs ? setInterval(() => void scanTree(opts.root, opts.onFile), opts.rescanIntervalMs) : undefined;
  return {
    scanned,
    close: () => {
      clearInterval(rescan);
      for (const t of timers) clearTimeout(t);
      return watcher.close();
    },
  };
}

/** Lists every file under `root` (depth first), calling `onFile` with each `.dm`/`.xml` path. */
export async function scanTree(root: string, onFile: (absPath: string) => void): Promise<number> {
  let count = 0;
  const dirs = [root];
  while (dirs.length) {
    const dir = dirs.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue; // removed meanwhile, or no permission: the watcher reports what appears later
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) dirs.push(path);
      else if (entry.name.endsWith('.xml') || entry.name.endsWith('.dm')) {
        count++;
        onFile(path);
      }
    }
  }
  return count;
}
