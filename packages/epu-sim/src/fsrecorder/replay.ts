// Replaying a recording into a directory, in recorded order and (scaled) recorded timing, with hash verification.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FsEvent, Recording } from './format.ts';

export interface ReplayTiming {
  speed: number;
  /** Longest wait between two events, seconds; null = no cap. */
  maxDelay: number | null;
  /** 1 ms between events instead of the recorded gaps. */
  burst: boolean;
}

export interface ReplayModeFlags {
  speed?: number;
  maxDelay?: number;
  burst?: boolean;
  devMode?: boolean;
  fast?: boolean;
  exact?: boolean;
}

/** The original's precedence: --dev-mode > --fast > --exact > custom (speed ≠ 1, max-delay, burst) > default (fast). */
export function replayTiming(flags: ReplayModeFlags): ReplayTiming {
  if (flags.devMode) return { speed: 1000, maxDelay: 0.1, burst: true };
  if (flags.fast) return { speed: 100, maxDelay: 1, burst: false };
  if (flags.exact) return { speed: 1, maxDelay: null, burst: false };
  const speed = flags.speed ?? 1;
  if (speed !== 1 || flags.maxDelay !== undefined || flags.burst)
    return { speed, maxDelay: flags.maxDelay ?? null, burst: flags.burst ?? false };
  return { speed: 100, maxDelay: 1, burst: false };
}

export interface ReplayOptions {
  timing: ReplayTiming;
  verify?: boolean;
  skipUnreadable?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  events: number;
  applied: number;
  skipped: number;
  errors: { event: number; path: string; reason: string }[];
  verified: number;
  mismatches: { path: string; expected: string; actual: string }[];
  /** Placeholder files (binary content not recorded): written as NUL bytes, never verified. */
  placeholders: number;
  aborted: boolean;
}

function contentOf(e: FsEvent, chunks: Map<string, Buffer>): Buffer {
  if (e.is_placeholder) return Buffer.alloc(e.size ?? 0);
  if (e.content !== null) return Buffer.from(e.content, 'utf8');
  if (e.binary_chunk_id !== null) {
    const chunk = chunks.get(e.binary_chunk_id);
    if (!chunk) throw new Error(`chunk ${e.binary_chunk_id} is missing from the recording`);
    return chunk;
  }
  return Buffer.alloc(e.size ?? 0);
}

async function apply(e: FsEvent, target: string, chunks: Map<string, Buffer>): Promise<void> {
  const path = join(target, e.src_path);
  if (!resolve(path).startsWith(resolve(target))) throw new Error('path escapes the target directory');
  switch (e.event_type) {
    case 'initial_dir':
      await mkdir(path, { recursive: true });
      return;
    case 'created':
    case 'initial_file':
    case 'modified':
      if (e.is_directory) {
        if (e.event_type !== 'modified') await mkdir(path, { recursive: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, contentOf(e, chunks));
      if (e.operation_data.mtime !== undefined)
        await utimes(path, e.operation_data.atime ?? e.operation_data.mtime, e.operation_data.mtime);
      return;
    case 'appended': {
      const size = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (e.file_position !== null && size !== e.file_position) {
        // The original warns and appends anyway; we put the bytes where they were recorded.
        const handle = await open(path, size === -1 ? 'w' : 'r+');
        try {
          await handle.truncate(e.file_position);
          await handle.write(contentOf(e, chunks), 0, undefined, e.file_position);
        } finally {
          await handle.close();
        }
        return;
      }
      await appendFile(path, contentOf(e, chunks));
      return;
    }
    case 'truncated':
      await truncate(path, e.operation_data.new_size ?? 0);
      return;
    case 'deleted':
      await rm(path, { recursive: true, force: true });
      return;
    case 'moved':
      if (!e.dest_path) throw new Error('moved event without dest_path');
      await mkdir(dirname(join(target, e.dest_path)), { recursive: true });
      await rename(path, join(target, e.dest_path));
      return;
  }
}

export async function replayRecording(recording: Recording, targetDir: string, opts: ReplayOptions): Promise<ReplaySummary> {
  const target = resolve(targetDir);
  await mkdir(target, { recursive: true });
  const { timing } = opts;
  const verify = opts.verify ?? true;
  const summary: ReplaySummary = {
    events: recording.events.length,
    applied: 0,
    skipped: 0,
    errors: [],
    verified: 0,
    mismatches: [],
    placeholders: 0,
    aborted: false,
  };
  let previous: number | null = null;
  for (let i = 0; i < recording.events.length; i++) {
    if (opts.signal?.aborted) {
      summary.aborted = true;
      break;
    }
    const e = recording.events[i];
    if (timing.burst) await sleep(1);
    else if (previous !== null) {
      let delay = (e.timestamp - previous) / timing.speed;
      if (timing.maxDelay !== null) delay = Math.min(delay, timing.maxDelay);
      if (delay > 0.001) await sleep(delay * 1000);
    }
    previous = e.timestamp;
    if (opts.skipUnreadable && e.content_hash?.startsWith('unreadable_')) {
      summary.skipped++;
      continue;
    }
    try {
      await apply(e, target, recording.chunks);
      summary.applied++;
    } catch (err) {
      summary.errors.push({ event: i, path: e.src_path, reason: (err as Error).message });
      continue;
    }
    if (!e.is_directory && e.is_placeholder && e.event_type !== 'deleted') summary.placeholders++;
    if (
      verify &&
      !e.is_directory &&
      !e.is_placeholder &&
      e.content_hash &&
      !e.content_hash.startsWith('unreadable_') &&
      e.event_type !== 'deleted'
    ) {
      const actual = createHash('sha256')
        .update(await readFile(join(target, e.src_path)))
        .digest('hex');
      summary.verified++;
      if (actual !== e.content_hash) summary.mismatches.push({ path: e.src_path, expected: e.content_hash, actual });
    }
    if ((i + 1) % 50 === 0) opts.onProgress?.(i + 1, recording.events.length);
  }
  opts.onProgress?.(summary.applied + summary.skipped, recording.events.length);
  return summary;
}
