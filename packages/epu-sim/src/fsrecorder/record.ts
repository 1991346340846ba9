// Recording a directory while something writes into it: an initial walk, then every creation, modification,
// append (a file growing by chunks) and deletion seen by the watcher, with its time; on stop a last scan records
// whatever the watcher coalesced or missed, so replaying the recording ends in the same tree.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  FORMAT_VERSION,
  INLINE_LIMIT,
  defaultPolicy,
  emptyEvent,
  exactText,
  isBinary,
  type ContentPolicy,
  type FsEvent,
  type FsEventType,
  type Recording,
} from './format.ts';

interface Tracked {
  size: number;
  hash: string;
}

/** Something happened at `rel` (inotify through fs.watch, one watcher per directory); what, is read from disk. */
type WatchEvent = { rel: string; at: number };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export class FsRecorder {
  readonly root: string;
  private readonly policy: ContentPolicy;
  private readonly events: FsEvent[] = [];
  private readonly chunks = new Map<string, Buffer>();
  private readonly files = new Map<string, Tracked>();
  private readonly dirs = new Set<string>();
  private readonly queue: WatchEvent[] = [];
  private readonly ignore: Set<string>;
  private readonly watchers = new Map<string, FSWatcher>();
  private stopped = false;
  private draining: Promise<void> | null = null;
  private ready = false;

  constructor(dir: string, policy: Partial<ContentPolicy> = {}, ignorePaths: string[] = []) {
    this.root = resolve(dir);
    this.policy = { ...defaultPolicy(), ...policy };
    this.ignore = new Set(ignorePaths.map((p) => resolve(p)));
  }

  get eventCount(): number {
    return this.events.length;
  }

  /**
   * Starts watching, then walks what already exists (`initial_dir` / `initial_file`). Node's own recursive
   * fs.watch (Node 20, Linux) and chokidar's mtime check both drop quick successive writes, so every directory
   * gets its own watcher and every notification is checked against the file's content.
   */
  async start(): Promise<void> {
    this.watchDir('');
    await this.walk(this.root, true);
    this.ready = true;
    this.kick();
  }

  /** Stops watching, records what the watcher has not reported yet, and returns the recording. */
  async stop(): Promise<Recording> {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.drain();
    await this.reconcile();
    return {
      metadata: {
        recorded_at: new Date().toISOString(),
        watch_dir: this.root,
        total_events: this.events.length,
        version: FORMAT_VERSION,
        platform: process.platform,
      },
      events: this.events,
      chunks: this.chunks,
    };
  }

  private watchDir(rel: string): void {
    if (this.stopped || this.watchers.has(rel)) return;
    try {
      const w = watch(join(this.root, rel), (_type, name) => {
        if (name !== null) this.enqueue({ rel: rel === '' ? String(name) : `${rel}/${String(name)}`, at: Date.now() / 1000 });
      });
      w.on('error', () => this.unwatch(rel));
      this.watchers.set(rel, w);
    } catch {
      // vanished before we could watch it; its deletion is recorded by the check
    }
  }

  private unwatch(rel: string): void {
    for (const [d, w] of this.watchers) {
      if (d === rel || d.startsWith(`${rel}/`)) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private enqueue(e: WatchEvent): void {
    this.queue.push(e);
    if (this.ready) this.kick();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
      if (this.queue.length > 0 && this.ready) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.draining || this.queue.length > 0) {
      if (this.draining) await this.draining;
      else this.kick();
    }
  }

  private async drainLoop(): Promise<void> {
    let e: WatchEvent | undefined;
    while ((e = this.queue.shift()) !== undefined) {
      if (this.ignore.has(join(this.root, e.rel))) continue;
      await this.check(e.rel, e.at);
    }
  }

  /** Records what changed at `rel`: created, modified, appended, truncated or deleted (file or directory). */
  private async check(rel: string, at: number): Promise<void> {
    let isDir: boolean;
    try {
      isDir = (await lstat(join(this.root, rel))).isDirectory();
    } catch {
      if (this.files.has(rel)) this.fileDeleted(rel, at);
      else if (this.dirs.has(rel)) {
        this.unwatch(rel);
        this.dirDeleted(rel, at);
      }
      return;
    }
    if (!isDir) {
      await this.fileChanged(rel, at);
      return;
    }
    if (this.dirs.has(rel)) return;
    this.dirCreated(rel, at);
    this.watchDir(rel);
    // Whatever was written into the new directory before its watcher existed.
    const entries = await readdir(join(this.root, rel)).catch(() => [] as string[]);
    for (const name of entries.sort()) await this.check(`${rel}/${name}`, at);
  }

  private rel(abs: string): string {
    return relative(this.root, abs).split(sep).join('/');
  }

  private push(e: FsEvent): void {
    this.events.push(e);
  }

  private ensureParents(rel: string, at: number): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) this.dirCreated(parts.slice(0, i).join('/'), at);
  }

  private dirCreated(rel: string, at: number, type: FsEventType = 'created'): void {
    if (this.dirs.has(rel)) return;
    this.ensureParents(rel, at);
    this.dirs.add(rel);
    this.push(emptyEvent(type, rel, true, at));
  }

  private dirDeleted(rel: string, at: number): void {
    if (!this.dirs.has(rel)) return;
    for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
    for (const f of [...this.files.keys()]) if (f.startsWith(`${rel}/`)) this.files.delete(f);
    this.push(emptyEvent('deleted', rel, true, at));
  }

  private fileDeleted(rel: string, at: number): void {
    if (!this.files.delete(rel)) return;
    this.push(emptyEvent('deleted', rel, false, at));
  }

  /** Fills content / chunk / placeholder of a whole-file event. */
  private storeWhole(e: FsEvent, rel: string, bytes: Buffer): void {
    e.size = bytes.length;
    e.content_hash = sha256(bytes);
    const binary = isBinary(rel, bytes, this.policy);
    if (binary && this.policy.skipBinaryContent) {
      e.is_placeholder = true;
      return;
    }
    const text = !binary && bytes.length < INLINE_LIMIT ? exactText(bytes) : null;
    if (text !== null) e.content = text;
    else e.binary_chunk_id = this.addChunk(bytes);
  }

  private addChunk(bytes: Buffer): string {
    const id = `chunk_${this.chunks.size}`;
    this.chunks.set(id, Buffer.from(bytes));
    return id;
  }

  private async fileChanged(rel: string, at: number, initial = false): Promise<void> {
    let bytes: Buffer;
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(join(this.root, rel));
      if (!stats.isFile()) return;
      bytes = await readFile(join(this.root, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // gone again; its unlink follows
      this.unreadable(rel, at, initial);
      return;
    }
    const before = this.files.get(rel);
    const hash = sha256(bytes);
    if (before && before.hash === hash && before.size === bytes.length) return;
    this.files.set(rel, { size: bytes.length, hash });
    this.ensureParents(rel, at);
    if (!before) {
      const e = emptyEvent(initial ? 'initial_file' : 'created', rel, false, at);
      this.storeWhole(e, rel, bytes);
      if (initial) e.operation_data = { mtime: stats.mtimeMs / 1000, atime: stats.atimeMs / 1000 };
      this.push(e);
      return;
    }
    const binarySkipped = this.policy.skipBinaryContent && isBinary(rel, bytes, this.policy);
    if (!binarySkipped && bytes.length > before.size && sha256(bytes.subarray(0, before.size)) === before.hash) {
      const added = bytes.subarray(before.size);
      const e = emptyEvent('appended', rel, false, at);
      e.size = bytes.length;
      e.content_hash = hash;
      e.file_position = before.size;
      e.operation_data = { append_size: added.length };
      const text = exactText(added);
      if (text !== null && !isBinary(rel, bytes, this.policy)) e.content = text;
      else e.binary_chunk_id = this.addChunk(added);
      this.push(e);
      return;
    }
    if (bytes.length === 0) {
      const e = emptyEvent('truncated', rel, false, at);
      e.size = 0;
      e.content_hash = hash;
      e.operation_data = { new_size: 0 };
      this.push(e);
      return;
    }
    const e = emptyEvent('modified', rel, false, at);
    this.storeWhole(e, rel, bytes);
    this.push(e);
  }

  private unreadable(rel: string, at: number, initial: boolean): void {
    const e = emptyEvent(initial ? 'initial_file' : 'created', rel, false, at);
    e.size = 0;
    e.content_hash = `unreadable_0_${Math.floor(at)}`;
    e.is_placeholder = true;
    this.push(e);
  }

  private async walk(dir: string, initial: boolean): Promise<{ dirs: Set<string>; files: Set<string> }> {
    const seenDirs = new Set<string>();
    const seenFiles = new Set<string>();
    const visit = async (abs: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const path = join(abs, entry.name);
        if (this.ignore.has(path)) continue;
        const rel = this.rel(path);
        if (entry.isDirectory()) {
          seenDirs.add(rel);
          this.dirCreated(rel, Date.now() / 1000, initial ? 'initial_dir' : 'created');
          if (initial) this.watchDir(rel);
          await visit(path);
        } else if (entry.isFile()) {
          seenFiles.add(rel);
          await this.fileChanged(rel, Date.now() / 1000, initial);
        }
      }
    };
    await visit(dir);
    return { dirs: seenDirs, files: seenFiles };
  }

  /** The last scan on stop: whatever differs from what was recorded becomes an event now. */
  private async reconcile(): Promise<void> {
    const seen = await this.walk(this.root, false);
    const now = Date.now() / 1000;
    for (const f of [...this.files.keys()]) if (!seen.files.has(f)) this.fileDeleted(f, now);
    const gone = [...this.dirs].filter((d) => !seen.dirs.has(d)).sort((a, b) => b.length - a.length);
    for (const d of gone) this.dirDeleted(d, now);
  }
}
