import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface IntakeOptions {
  root: string;
  /** Each file path (absolute) the watcher or a scan reports. */
  onFile: (absPath: string) => void;
  onError: (error: Error) => void;
  /** No file-system events at all (network shares): list the tree every `pollIntervalMs` instead. */
  poll?: boolean;
  pollIntervalMs?: number;
  /** Safety net: list the whole tree again every so often (0: never). */
  rescanIntervalMs?: number;
  /**
   * What the safety-net listing reports each file to (default `onFile`). The watch reports changes of known files, so
   * the agent passes a callback that only takes paths it has never seen (no stat storm every minute).
   */
  onRescanFile?: (absPath: string) => void;
  /**
   * The root was removed (`false`), or is back (`true`). Meanwhile nothing is watched; once it is back (or replaced
   * by a new directory of the same name) it is watched and listed afresh.
   */
  onRootPresence?: (present: boolean) => void;
  /** How often the root's presence is checked (default 1000 ms). */
  rootCheckMs?: number;
  /** Each preview JPEG a watch event reports (EPU writes one beside each image manifest). */
  onImageFile?: (absPath: string) => void;
}

export interface Intake {
  /** Files found by the initial scan. */
  scanned: number;
  close(): Promise<void>;
}

const RELEVANT = /\.(xml|dm)$/i;
const JPEG = /\.jpe?g$/i;
/** Files EPU writes by the thousand that the agent never reads; an event for one of these is not a directory. */
const IGNORED = /\.(jpg|jpeg|mrc|tif|tiff|eer|png|txt|csv|log)$/i;

/**
 * Watch first, then scan: native watches are in place before the tree is listed, so a file written during the scan
 * is reported by one or both; the file queue coalesces duplicates by path and size/mtime.
 *
 * One watch per directory (Linux inotify reports changes of the files inside it), or one recursive watch where the
 * platform has a native one (Windows, macOS). Chokidar watched every *file* too: 730 MB RSS for a 57,000-file visit
 * against 260 MB without it (bench/watch), so the agent keeps only directory watches. Every directory that appears is
 * listed at once and again a second later, because EPU creates a folder and writes into it before a watch on it can
 * be in place; a periodic full listing (`rescanIntervalMs`) is the last safety net, and the only source in `poll` mode.
 */
export async function startIntake(opts: IntakeOptions): Promise<Intake> {
  const watchers = new Map<string, FSWatcher>();
  /** Directories already listed because they appeared (not re-listed on every event inside them). */
  const known = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const nativeRecursive = process.platform === 'win32' || process.platform === 'darwin';

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const onNewDirectory = async (dir: string) => {
    if (known.has(dir)) return;
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory() || known.has(dir)) return;
    known.add(dir);
    const onDir = nativeRecursive ? undefined : watchDir;
    void scanTree(dir, opts.onFile, onDir);
    later(1000, () => void scanTree(dir, opts.onFile, onDir));
  };

  const onEvent = (dir: string, name: string | null) => {
    if (closed || !name) return;
    const path = join(dir, name);
    if (RELEVANT.test(name)) opts.onFile(path);
    else if (JPEG.test(name)) opts.onImageFile?.(path);
    else if (!IGNORED.test(name) && !watchers.has(path)) void onNewDirectory(path);
  };

  function watchDir(dir: string): void {
    if (closed || watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => onEvent(dir, name === null ? null : String(name)));
      w.on('error', () => {
        // The directory went away (or cannot be watched any more): forget it; a rescan finds what reappears.
        w.close();
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') opts.onError(error as Error);
    }
  }

  /** Watches on the root's tree, then a listing of it; again whenever the root comes back. */
  const arm = (): Promise<number> => {
    if (!opts.poll && nativeRecursive) {
      try {
        const w = watch(opts.root, { persistent: true, recursive: true }, (_event, name) =>
          onEvent(opts.root, name === null ? null : String(name)),
        );
        w.on('error', (error) => {
          // Closed so that the presence check below sets up a new one (the root itself went away, typically).
          w.close();
          watchers.delete(opts.root);
          opts.onError(error);
        });
        watchers.set(opts.root, w);
      } catch (error) {
        // Gone again already: the presence check notices; anything else is reported, and retried by that check.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') opts.onError(error as Error);
      }
    }
    return scanTree(opts.root, opts.onFile, opts.poll || nativeRecursive ? undefined : watchDir);
  };
  const disarm = () => {
    for (const w of watchers.values()) w.close();
    watchers.clear();
    known.clear();
  };

  /** The root's identity (device and inode): a directory deleted and made again under the same name is a new one. */
  const rootIdentity = async () => {
    const info = await stat(opts.root).catch(() => null);
    return info?.isDirectory() ? `${info.dev}:${info.ino}` : null;
  };
  let root = await rootIdentity();
  let checking = false;
  const checkRoot = async () => {
    if (checking || closed) return;
    checking = true;
    try {
      const now = await rootIdentity();
      const rootWatchLost = !opts.poll && nativeRecursive && now !== null && !watchers.has(opts.root);
      if (closed || (now === root && !rootWatchLost)) return;
      if (now !== root) disarm();
      if (now === null) opts.onRootPresence?.(false);
      else if (root === null) opts.onRootPresence?.(true);
      root = now;
      if (now !== null) await arm();
    } finally {
      checking = false;
    }
  };
  const presence = setInterval(() => void checkRoot().catch(opts.onError), opts.rootCheckMs ?? 1000);

  const scanned = await arm();
  const every = opts.poll ? (opts.pollIntervalMs ?? 1000) : (opts.rescanIntervalMs ?? 0);
  const onListed = opts.poll ? opts.onFile : (opts.onRescanFile ?? opts.onFile);
  const rescan =
    every > 0
      ? setInterval(() => void scanTree(opts.root, onListed, opts.poll || nativeRecursive ? undefined : watchDir), every)
      : undefined;
  return {
    scanned,
    async close() {
      closed = true;
      clearInterval(rescan);
      clearInterval(presence);
      for (const t of timers) clearTimeout(t);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

/**
 * Lists every file under `root` (depth first), calling `onFile` with each `.dm`/`.xml` path, and `onDir` with every
 * directory before listing it (so a watch is in place before its listing).
 */
export async function scanTree(root: string, onFile: (absPath: string) => void, onDir?: (dir: string) => void): Promise<number> {
  let count = 0;
  const dirs = [root];
  while (dirs.length) {
    const dir = dirs.pop()!;
    onDir?.(dir);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue; // removed meanwhile, or no permission: what appears later is reported then
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) dirs.push(path);
      else if (RELEVANT.test(entry.name)) {
        count++;
        onFile(path);
      }
    }
  }
  return count;
}
