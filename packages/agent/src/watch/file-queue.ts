import { open, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { classifyEpuPath, EpuParseError, parseClassified, PARENT_FIRST_RANK, type EpuFileKind, type ParsedEpuFile } from '@smartem/epu';

interface FileState {
  /** Only the kind is kept per file (memory: one state per file of a 50,000-micrograph visit); `process` re-classifies. */
  kind: EpuFileKind;
  status: 'queued' | 'reading' | 'done' | 'waiting' | 'broken';
  /** Larger than `maxFileBytes` when last looked at (done, unread). */
  oversize: boolean;
  /** Another event arrived while it was being read: read it again afterwards. */
  again: boolean;
  size: number;
  mtimeMs: number;
  attempts: number;
  firstFailureAt: number;
  /** Counted in `stats.parsed` (a rewritten file parses again but is one file). */
  parsedOnce: boolean;
  timer?: NodeJS.Timeout;
}

export interface FileQueueStats {
  seen: number;
  /** Files parsed at least once (of `seen`). */
  parsed: number;
  retries: number;
  broken: number;
  /** Files larger than `maxFileBytes`, left unread (until they are rewritten smaller). */
  oversize: number;
  queued: number;
  /** Micrograph manifests are held back (too many entities wait for the backend). */
  holding: boolean;
}

export interface FileQueueOptions {
  root: string;
  /** Called with each successfully parsed file (classified relative to `root`). */
  onParsed: (file: ParsedEpuFile) => void;
  /** Called once when a file stays unparseable past the limit (and again if it later parses: `fixed`). */
  onBroken: (absPath: string, error: Error) => void;
  concurrency?: number;
  /** Retry schedule for files that do not parse yet: `retryBaseMs·2^n`, capped at `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A file that still fails after this many attempts and this long since its first failure is reported broken. */
  brokenAfterAttempts?: number;
  brokenAfterMs?: number;
  /** No EPU manifest is this large: a bigger file is reported (`onOversize`) and never read (default 16 MB). */
  maxFileBytes?: number;
  /** Called once when a file is found larger than `maxFileBytes` (again if it shrinks and grows past it again). */
  onOversize?: (absPath: string, bytes: number) => void;
  /** Asked before each micrograph manifest is read: while true they stay queued (backpressure); see `resume`. */
  holdBack?: () => boolean;
}

/**
 * Every EPU file the watcher or the scan reports goes through here, once per content: events for one path are
 * coalesced (a path already queued is not queued twice; one that changes while being read is read again; one whose size
 * and mtime did not change since it parsed is skipped). A file that does not parse yet — half written — is retried with
 * backoff until it parses, and reported with its path if it stays broken.
 */
export class FileQueue {
  private readonly files = new Map<string, FileState>();
  private readonly queues: string[][] = [[], [], [], [], [], []];
  private active = 0;
  private waiting = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: FileQueueStats = { seen: 0, parsed: 0, retries: 0, broken: 0, oversize: 0, queued: 0, holding: false };

  constructor(private readonly opts: FileQueueOptions) {}

  /** Reports a file (absolute path) that may be new or changed. Non-EPU files are ignored. */
  offer(absPath: string): void {
    if (this.stopped) return;
    let state = this.files.get(absPath);
    if (!state) {
      const rel = relative(this.opts.root, absPath);
      if (!rel || rel.startsWith('..')) return;
      const cls = classifyEpuPath(rel);
      if (!cls) return;
      state = {
        kind: cls.kind,
        status: 'queued',
        oversize: false,
        again: false,
        size: -1,
        mtimeMs: -1,
        attempts: 0,
        firstFailureAt: 0,
        parsedOnce: false,
      };
      this.files.set(absPath, state);
      this.stats.seen++;
      this.enqueue(absPath, state);
      return;
    }
    switch (state.status) {
      case 'queued':
        return;
      case 'reading':
        state.again = true;
        return;
      case 'waiting':
        clearTimeout(state.timer);
        this.waiting--;
        this.enqueue(absPath, state);
        return;
      case 'done':
      case 'broken':
        // Re-read; `process` skips it when size and mtime are unchanged.
        this.enqueue(absPath, state);
    }
  }

  /** Like `offer`, for a path never seen before only (the periodic safety-net listing). */
  offerIfNew(absPath: string): void {
    if (!this.files.has(absPath)) this.offer(absPath);
  }

  /** Resolves when nothing is queued, being read or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  isIdle(): boolean {
    return this.active === 0 && this.stats.queued === 0 && this.waiting === 0;
  }

  /** Paths waiting for a retry (still half-written, or broken so far). */
  waitingPaths(): string[] {
    return [...this.files].filter(([, f]) => f.status === 'waiting').map(([p]) => p);
  }

  /** Reading held back by `holdBack` may go on. */
  resume(): void {
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    for (const f of this.files.values()) clearTimeout(f.timer);
    this.waiting = 0;
    this.checkIdle();
  }

  private enqueue(absPath: string, state: FileState): void {
    state.status = 'queued';
    this.queues[PARENT_FIRST_RANK[state.kind]]!.push(absPath);
    this.stats.queued++;
    this.pump();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 8;
    while (!this.stopped && this.active < limit) {
      const path = this.next();
      if (path === undefined) break;
      this.active++;
      void this.process(path).finally(() => {
        this.active--;
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private next(): string | undefined {
    for (const [priority, q] of this.queues.entries()) {
      if (!q.length) continue;
      if (priority === PARENT_FIRST_RANK['micrograph-manifest']) {
        this.stats.holding = this.opts.holdBack?.() ?? false;
        if (this.stats.holding) return undefined;
      }
      this.stats.queued--;
      return q.shift();
    }
    return undefined;
  }

  private async process(absPath: string): Promise<void> {
    const state = this.files.get(absPath)!;
    const wasBroken = state.status === 'broken';
    state.status = 'reading';
    state.again = false;
    let read: Awaited<ReturnType<typeof readAtMost>>;
    try {
      const before = await stat(absPath);
      if (before.size === state.size && before.mtimeMs === state.mtimeMs && state.attempts === 0) {
        state.status = 'done';
        return this.afterRead(absPath, state);
      }
      read = await readAtMost(absPath, this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    } catch (error) {
      // Gone (a temporary file renamed away) or unreadable right now: forget it; a new event brings it back.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.files.delete(absPath);
        this.stats.seen--;
        if (state.parsedOnce) this.stats.parsed--;
        if (state.oversize) this.stats.oversize--;
        return;
      }
      return this.failed(absPath, state, error as Error);
    }
    const oversize = 'oversize' in read;
    if (state.oversize !== oversize) {
      state.oversize = !state.oversize;
      this.stats.oversize += state.oversize ? 1 : -1;
      if (state.oversize) this.opts.onOversize?.(absPath, read.size);
    }
    if ('oversize' in read) {
      // Remembered by size and mtime like a parsed file: a rewrite (smaller, say) reads it again.
      state.size = read.size;
      state.mtimeMs = read.mtimeMs;
      state.attempts = 0;
      state.status = 'done';
      if (wasBroken) this.stats.broken = this.countBroken();
      return this.afterRead(absPath, state);
    }
    const { data: xml, size, mtimeMs } = read;
    let parsed: ParsedEpuFile;
    try {
      parsed = parseClassified(classifyEpuPath(relative(this.opts.root, absPath))!, xml, absPath);
    } catch (error) {
      if (error instanceof EpuParseError) return this.failed(absPath, state, error);
      throw error;
    }
    state.size = size;
    state.mtimeMs = mtimeMs;
    state.attempts = 0;
    state.status = 'done';
    if (wasBroken) this.stats.broken = this.countBroken();
    if (!state.parsedOnce) {
      state.parsedOnce = true;
      this.stats.parsed++;
    }
    this.opts.onParsed(parsed);
    return this.afterRead(absPath, state);
  }

  private afterRead(absPath: string, state: FileState): void {
    if (state.again && state.status !== 'queued') this.enqueue(absPath, state);
  }

  private failed(absPath: string, state: FileState, error: Error): void {
    const now = Date.now();
    if (state.attempts === 0) state.firstFailureAt = now;
    state.attempts++;
    if (state.again) {
      // It changed while we read it: the next chunk is there, read again now.
      this.stats.retries++;
      this.enqueue(absPath, state);
      return;
    }
    const limitAttempts = this.opts.brokenAfterAttempts ?? 8;
    const limitMs = this.opts.brokenAfterMs ?? 30_000;
    if (state.attempts >= limitAttempts && now - state.firstFailureAt >= limitMs) {
      state.status = 'broken';
      this.stats.broken = this.countBroken();
      this.opts.onBroken(absPath, error);
      return;
    }
    state.status = 'waiting';
    this.waiting++;
    this.stats.retries++;
    const delay = Math.min(this.opts.retryMaxMs ?? 5000, (this.opts.retryBaseMs ?? 50) * 2 ** (state.attempts - 1));
    state.timer = setTimeout(() => {
      if (state.status !== 'waiting') return;
      this.waiting--;
      this.enqueue(absPath, state);
    }, delay);
  }

  private countBroken(): number {
    let n = 0;
    for (const f of this.files.values()) if (f.status === 'broken') n++;
    return n;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The file's bytes with its size and mtime after reading (size -1 when it grew meanwhile: the next event finds it
 * different), or `oversize` without reading it when it holds more than `limit` bytes — also when it grows past the
 * limit while being read, so at most `limit + 1` bytes are ever held.
 */
async function readAtMost(
  path: string,
  limit: number,
): Promise<{ data: Buffer; size: number; mtimeMs: number } | { oversize: true; size: number; mtimeMs: number }> {
  const handle = await open(path, 'r');
  try {
    const before = await handle.stat();
    if (before.size > limit) return { oversize: true, size: before.size, mtimeMs: before.mtimeMs };
    const buffer = Buffer.allocUnsafe(Math.min(limit + 1, before.size + 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const after = await handle.stat();
    if (length > limit) return { oversize: true, size: Math.max(after.size, length), mtimeMs: after.mtimeMs };
    return { data: buffer.subarray(0, length), size: after.size === length ? after.size : -1, mtimeMs: after.mtimeMs };
  } finally {
    await handle.close();
  }
}
