/**
 * Parses many EPU files, on worker threads when there are enough of them to pay for the workers' start-up
 * (one worker per core by default). Results come back in input order; a bad file is an outcome, never a throw.
 */
import { Worker } from 'node:worker_threads';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { EpuFileKind } from '../classify.ts';
import { EpuParseError } from '../errors.ts';
import { PARSERS, type EpuRecordByKind } from '../parse-file.ts';
import type { BatchRequest, BatchResponse } from './parse-worker.ts';

export interface ParseJob {
  kind: EpuFileKind;
  path: string;
}

export type ParseOutcome =
  | { ok: true; record: EpuRecordByKind[EpuFileKind]; bytes: number }
  | { ok: false; reason: string };

export interface ParseManyOptions {
  /** Worker threads besides the calling thread (which parses too); 0 = none. Default: cores - 1 (at least 1, at most 7). */
  workers?: number;
  /** Below this many files everything is parsed on the calling thread. Default 400. */
  minFilesForWorkers?: number;
  onProgress?: (done: number, total: number) => void;
}

const BATCH_SIZE = 64;

// One growing scratch buffer per thread: reading thousands of small files allocates no Buffer per file, which keeps
// the process's external memory (and so its RSS) flat.
let scratch = Buffer.allocUnsafe(1 << 16);

/** Reads a whole file as UTF-8 text through the scratch buffer; returns the text and its size in bytes. */
function readText(path: string): { text: string; bytes: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
    let read = 0;
    while (read < size) {
      const n = readSync(fd, scratch, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: scratch.toString('utf8', 0, read), bytes: read };
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses one file; used on the calling thread and inside workers. */
export function parseOne(job: ParseJob): ParseOutcome {
  let file: { text: string; bytes: number };
  try {
    file = readText(job.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `cannot read file${code ? ` (${code})` : ''}` };
  }
  try {
    return { ok: true, record: PARSERS[job.kind](file.text, job.path), bytes: file.bytes };
  } catch (error) {
    return { ok: false, reason: error instanceof EpuParseError ? error.reason : String(error) };
  }
}

export async function parseMany(jobs: readonly ParseJob[], options: ParseManyOptions = {}): Promise<ParseOutcome[]> {
  const workerCount = Math.min(options.workers ?? Math.max(1, Math.min(availableParallelism() - 1, 7)), Math.ceil(jobs.length / BATCH_SIZE));
  const onProgress = options.onProgress;
  if (workerCount <= 0 || jobs.length < (options.minFilesForWorkers ?? 400)) {
    const outcomes: ParseOutcome[] = [];
    for (const job of jobs) {
      outcomes.push(parseOne(job));
      if (onProgress && outcomes.length % BATCH_SIZE === 0) onProgress(outcomes.length, jobs.length);
    }
    onProgress?.(jobs.length, jobs.length);
    return outcomes;
  }
  return parseOnWorkers(jobs, workerCount, onProgress);
}

/**
 * Workers pull batches as they become ready; the calling thread parses batches too (yielding between them), so the
 * workers' start-up (loading the TypeScript sources) is not dead time.
 */
async function parseOnWorkers(jobs: readonly ParseJob[], workerCount: number, onProgress?: (done: number, total: number) => void): Promise<ParseOutcome[]> {
  const outcomes = new Array<ParseOutcome>(jobs.length);
  const entry = new URL('./parse-worker-entry.mjs', import.meta.url);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  const take = (): [number, number] | null => {
    if (next >= jobs.length) return null;
    const start = next;
    next = Math.min(jobs.length, next + BATCH_SIZE);
    return [start, next];
  };
  const settled = (count: number): void => {
    done += count;
    onProgress?.(done, jobs.length);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const finishIfDone = (): void => {
        if (done === jobs.length) resolve();
      };
      const feed = (worker: Worker): void => {
        const range = take();
        if (range) worker.postMessage({ id: range[0], jobs: jobs.slice(range[0], range[1]) } satisfies BatchRequest);
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(entry);
        workers.push(worker);
        worker.on('message', (response: BatchResponse) => {
          response.outcomes.forEach((outcome, j) => (outcomes[response.id + j] = outcome));
          settled(response.outcomes.length);
          feed(worker);
          finishIfDone();
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < jobs.length) reject(new Error(`parse worker exited early (code ${code})`));
        });
        feed(worker);
      }
      const parseHere = (): void => {
        const range = take();
        if (!range) return finishIfDone();
        for (let i = range[0]; i < range[1]; i++) outcomes[i] = parseOne(jobs[i]!);
        settled(range[1] - range[0]);
        setImmediate(parseHere);
      };
      setImmediate(parseHere);
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
