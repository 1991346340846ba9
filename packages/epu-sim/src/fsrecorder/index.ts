// fsrecorder: record a directory being written (creations, modifications, chunked writes, timing) and replay it.
import { resolve } from 'node:path';
import { FsRecorder } from './record.ts';
import { writeRecording } from './archive.ts';
import type { ContentPolicy } from './format.ts';

export { FsRecorder } from './record.ts';
export { readRecording, writeRecording } from './archive.ts';
export {
  replayRecording,
  replayTiming,
  type ReplayOptions,
  type ReplaySummary,
  type ReplayTiming,
  type ReplayModeFlags,
} from './replay.ts';
export type { FsEvent, FsEventType, Recording, RecordingMetadata, ContentPolicy } from './format.ts';

export interface RecordOptions {
  dir: string;
  output: string;
  /** Recording stops when this aborts. */
  signal: AbortSignal;
  policy?: Partial<ContentPolicy>;
  /** Called once the watcher is ready and the initial state is recorded: writes after this are seen. */
  onReady?: () => void;
}

/** Records `dir` until `signal` aborts, then writes the recording to `output`. */
export async function recordDirectory(opts: RecordOptions): Promise<{ output: string; events: number; chunks: number }> {
  const recorder = new FsRecorder(opts.dir, opts.policy, [opts.output]);
  await recorder.start();
  opts.onReady?.();
  if (!opts.signal.aborted) await new Promise<void>((ok) => opts.signal.addEventListener('abort', () => ok(), { once: true }));
  const recording = await recorder.stop();
  await writeRecording(opts.output, recording);
  return { output: resolve(opts.output), events: recording.events.length, chunks: recording.chunks.size };
}
