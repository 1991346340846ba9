/**
 * Parses many EPU files, on worker threads when there are enough of them to pay for the workers' start-up
 * (one worker per core by default). Results come back in input order; a bad file is an outcome, never a throw.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
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
  /** Worker threads; 0 parses on the calling thread. Default: the number of cores (at most 8). */
  workers?: number;
  /** Below this many files everything is parsed on the calling thread. Default 400. */
  minFilesForWorkers?: number;
  onProgress?: (done: number, total: number) => void;
}

const BATCH_SIZE = 64;

/** Reads and parses one file; used on the calling thread and inside workers. */
export function parseOne(job: ParseJob, read: (path: string) => Buffer): ParseOutcome {
  let bytes: Buffer;
  try {
    bytes = read(job.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `cannot read file${code ? ` (${code})` : ''}` };
  }
  try {
    return { ok: true, record: PARSERS[job.kind](bytes, job.path), bytes: bytes.length };
  } catch (error) {
    return { ok: false, reason: error instanceof EpuParseError ? error.reason : String(error) };
  }
}

export async function parseMany(jobs: readonly ParseJob[], options: ParseManyOptions = {}): Promise<ParseOutcome[]> {
  const workerCount = Math.min(options.workers ?? Math.min(availableParallelism(), 8), Math.ceil(jobs.length / BATCH_SIZE));
  const onProgress = options.onProgress;
  if (workerCount <= 0 || jobs.length < (options.minFilesForWorkers ?? 400)) {
    const outcomes: ParseOutcome[] = [];
    for (const job of jobs) {
      outcomes.push(parseOne(job, readFileSync));
      if (onProgress && outcomes.length % BATCH_SIZE === 0) onProgress(outcomes.length, jobs.length);
    }
    onProgress?.(jobs.length, jobs.length);
    return outcomes;
  }
  return parseOnWorkers(jobs, workerCount, onProgress);
}

async function parseOnWorkers(jobs: readonly ParseJob[], workerCount: number, onProgress?: (done: number, total: number) => void): Promise<ParseOutcome[]> {
  const outcomes = new Array<ParseOutcome>(jobs.length);
  const entry = new URL('./parse-worker-entry.mjs', import.meta.url);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const feed = (worker: Worker): void => {
        if (next >= jobs.length) {
          if (--running === 0) resolve();
          return;
        }
        const start = next;
        next = Math.min(jobs.length, next + BATCH_SIZE);
        worker.postMessage({ id: start, jobs: jobs.slice(start, next) } satisfies BatchRequest);
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(entry);
        workers.push(worker);
        running++;
        worker.on('message', (response: BatchResponse) => {
          response.outcomes.forEach((outcome, i) => (outcomes[response.id + i] = outcome));
          done += response.outcomes.length;
          onProgress?.(done, jobs.length);
          feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (next < jobs.length || done < jobs.length) reject(new Error(`parse worker exited early (code ${code})`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
