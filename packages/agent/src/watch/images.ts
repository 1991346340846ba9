/**
 * Preview images: the JPEG EPU writes beside each image manifest (`GridSquare_….jpg`, `FoilHole_….jpg`, the `Data/`
 * micrograph thumbnails) and beside the atlas (`Tile_<id>_<n>_<atlas>.jpg`), uploaded to `PUT /images/{kind}/{uuid}`
 * once the entity the manifest describes is acknowledged. EPU's previews are already small (512 px wide, 30–100 kB),
 * so they are sent as they are; a file over `IMAGE_MAX_BYTES` is skipped and logged.
 *
 * Apart from entity sync: one upload at a time, in its own loop, so images never hold up XML intake or batches. Each
 * upload is recorded in `images.jsonl` in the state directory (entity key and the file's size and mtime): after a
 * restart a file already sent is not sent again, a changed one is. The backend's PUT is idempotent besides.
 */
import { appendFile, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApiError, ApiUnreachableError, backoffDelay, type SmartEmClient } from '@smartem/client';
import { IMAGE_MAX_BYTES, type ImageFrame, type ImageKind, type Logger } from '@smartem/common';
import type { Contribution, ParsedEpuFile } from '@smartem/epu';
import type { EntityStore } from './store.ts';

/** The image of one entity: the JPEG at `path`, for the entity with natural key `key`. */
export interface ImageTarget {
  key: string;
  kind: ImageKind;
  path: string;
  frame: ImageFrame;
  /** Several manifests of one foil hole: the latest (highest order) wins, as for its fields. */
  order?: string;
}

const jpgBeside = (xmlPath: string) => xmlPath.replace(/\.xml$/i, '.jpg');

/** The images a parsed file announces, from the file and the contributions it made (their keys). */
export function imageTargets(root: string, file: ParsedEpuFile, contributions: readonly Contribution[]): ImageTarget[] {
  const abs = resolve(root, file.path);
  const first = contributions[0];
  switch (file.kind) {
    case 'gridsquare-manifest': {
      const { image_size_x: w, image_size_y: h } = file.record;
      const frame = w && h ? { frame_width: Math.round(w), frame_height: Math.round(h) } : {};
      return first ? [{ key: first.key, kind: 'gridsquare', path: jpgBeside(abs), frame }] : [];
    }
    case 'foilhole-manifest':
      return first ? [{ key: first.key, kind: 'foilhole', path: jpgBeside(abs), frame: {}, order: first.order }] : [];
    case 'micrograph-manifest':
      return first ? [{ key: first.key, kind: 'micrograph', path: jpgBeside(abs), frame: {} }] : [];
    case 'atlas':
    case 'session': {
      // Tiles are named in the atlas (`BaseFileName`); their JPEGs lie beside Atlas.dm.
      const out: ImageTarget[] = [];
      let atlasDir: string | undefined;
      for (const c of contributions) {
        if (c.kind === 'grid' && c.fields.atlas_dir) atlasDir = dirname(c.fields.atlas_dir);
        if (c.kind === 'atlastile' && atlasDir && c.fields.base_filename && /^[\w.-]+$/.test(c.fields.base_filename)) {
          const { size_x: w, size_y: h } = c.fields;
          out.push({
            key: c.key,
            kind: 'atlastile',
            path: join(atlasDir, `${c.fields.base_filename}.jpg`),
            frame: w && h ? { frame_width: Math.round(w), frame_height: Math.round(h) } : {},
          });
        }
      }
      return out;
    }
    default:
      return [];
  }
}

export interface ImageStats {
  uploaded: number;
  /** Bytes uploaded. */
  bytes: number;
  /** Too big, or refused by the backend (not retried). */
  failed: number;
  /** Known images waiting for their file or their entity's acknowledgement. */
  waiting: number;
}

export interface ImageUploaderOptions {
  store: EntityStore;
  /** Absent in dry-run: nothing is uploaded. */
  client?: SmartEmClient;
  log: Logger;
  /** Where `images.jsonl` is kept; without, nothing survives a restart. */
  stateDir?: string | null;
  /** How often images whose file was missing are looked for again (ms, default 10 s). */
  retryMs?: number;
}

/** Uploads each entity's preview once its entity is acknowledged and its file exists; see the module comment. */
export class ImageUploader {
  readonly stats: ImageStats = { uploaded: 0, bytes: 0, failed: 0, waiting: 0 };
  private readonly targets = new Map<string, ImageTarget>();
  /** JPEG path → entity key, for file events. */
  private readonly byPath = new Map<string, string>();
  /** Entity key → `size:mtime:path` of the file uploaded last. */
  private readonly sent = new Map<string, string>();
  private readonly ready = new Set<string>();
  private running: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout;
  private pausedUntil = 0;
  private failures = 0;
  private stopped = false;
  /** Aborts the upload in flight on stop (a backend that does not answer must not delay shutdown). */
  private readonly aborter = new AbortController();
  private readonly journalPath: string | undefined;

  constructor(private readonly opts: ImageUploaderOptions) {
    this.journalPath = opts.stateDir ? join(opts.stateDir, 'images.jsonl') : undefined;
    this.retryTimer = setInterval(() => this.retryAll(), opts.retryMs ?? 10_000);
    this.retryTimer.unref();
  }

  /** Reads what earlier runs uploaded. */
  async open(): Promise<number> {
    if (!this.journalPath) return 0;
    const text = await readFile(this.journalPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    for (const line of text.split('\n')) {
      try {
        const r = JSON.parse(line) as { k: string; s: string };
        if (typeof r.k === 'string' && typeof r.s === 'string') this.sent.set(r.k, r.s);
      } catch {
        // a torn last line: that upload is repeated (idempotent)
      }
    }
    return this.sent.size;
  }

  offer(target: ImageTarget): void {
    const current = this.targets.get(target.key);
    if (current && current.order !== undefined && target.order !== undefined && target.order < current.order) return;
    if (current) this.byPath.delete(current.path);
    this.targets.set(target.key, target);
    this.byPath.set(target.path, target.key);
    this.stats.waiting = this.targets.size;
    this.wake(target.key);
  }

  /** A JPEG appeared or changed. */
  fileSeen(path: string): void {
    const key = this.byPath.get(path);
    if (key) this.wake(key);
  }

  /** An entity was acknowledged by the backend (its uuid is known there now). */
  acked(key: string): void {
    if (this.targets.has(key)) this.wake(key);
  }

  /** Resolves when nothing that can be uploaded now is left (images still without file or entity may wait). */
  whenIdle(): Promise<void> {
    if (!this.running && this.ready.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.retryTimer);
    this.aborter.abort();
    await this.running;
    this.notifyIdle();
  }

  private retryAll(): void {
    for (const key of this.targets.keys()) this.ready.add(key);
    this.pump();
  }

  private wake(key: string): void {
    this.ready.add(key);
    // After the current task: the syncer calls back before the store records the acknowledgement.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    if (this.running || this.stopped || this.ready.size === 0) return;
    const delay = this.pausedUntil - Date.now();
    if (delay > 0) {
      setTimeout(() => this.pump(), delay).unref();
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.ready.size > 0 && this.pausedUntil <= Date.now() && !this.stopped) this.pump();
      else this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async drain(): Promise<void> {
    for (const key of this.ready) {
      if (this.stopped) return;
      this.ready.delete(key);
      const target = this.targets.get(key);
      if (!target) continue;
      try {
        await this.uploadOne(target);
      } catch (error) {
        if (this.stopped) return; // aborted: sent by the next run
        if (error instanceof ApiUnreachableError || (error instanceof ApiError && error.status >= 500)) {
          // The backend is away: keep it, pause, try again.
          this.ready.add(key);
          this.pausedUntil = Date.now() + backoffDelay(this.failures++, { baseMs: 500, maxMs: 30_000 });
          this.opts.log.warn({ err: (error as Error).message }, 'image upload failed; retrying later');
          return;
        }
        this.stats.failed++;
        this.forget(target);
        this.opts.log.error({ path: target.path, err: (error as Error).message }, 'image not uploaded');
      }
    }
  }

  private async uploadOne(target: ImageTarget): Promise<void> {
    const entity = this.opts.store.get(target.key);
    if (!entity || entity.acked === 0) return; // sent when acknowledged
    const info = await stat(target.path).catch(() => null);
    if (!info?.isFile()) return; // looked for again when it appears, or by the periodic retry
    const signature = `${info.size}:${info.mtimeMs}:${target.path}`;
    if (this.sent.get(target.key) === signature) {
      this.forget(target);
      return;
    }
    if (info.size > IMAGE_MAX_BYTES) {
      this.stats.failed++;
      this.opts.log.warn({ path: target.path, bytes: info.size, max: IMAGE_MAX_BYTES }, 'image too large; not uploaded');
      this.remember(target, signature);
      return;
    }
    const bytes = await readFile(target.path);
    if (this.opts.client)
      await this.opts.client.putImage(target.kind, entity.uuid, bytes, target.frame, { retries: 2, signal: this.aborter.signal });
    this.failures = 0;
    this.stats.uploaded++;
    this.stats.bytes += bytes.length;
    this.remember(target, signature);
  }

  private remember(target: ImageTarget, signature: string): void {
    this.sent.set(target.key, signature);
    this.forget(target);
    if (this.journalPath) void appendFile(this.journalPath, `${JSON.stringify({ k: target.key, s: signature })}\n`).catch(() => {});
  }

  private forget(target: ImageTarget): void {
    if (this.targets.get(target.key) === target) {
      this.targets.delete(target.key);
      this.byPath.delete(target.path);
    }
    this.stats.waiting = this.targets.size;
  }
}
