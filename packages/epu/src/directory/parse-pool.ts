/**
 * Parses many EPU files, on worker threads beside the calling thread when there are enough of them to pay for the
 * workers' start-up (cores − 1 workers by default). Results come back in input order; a bad file is an outcome,
 * never a throw.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseOne, type ParseJob, type ParseOutcome } from './parse-one.ts';
import type { BatchRequest, BatchResponse } from './parse-worker.ts';

export type { ParseJob, ParseOutcome } from './parse-one.ts';

export interface ParseManyOptions {
  /** Worker threads besides the calling thread (which parses too); 0 = none. Default: cores - 1 (at least 1, at most 7). */
  workers?: number;
  /** Below this many files everything is parsed on the calling thread. Default 400. */
  minFilesForWorkers?: number;
  onProgress?: (done: number, total: number) => void;
}

const BATCH_SIZE = 64;

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

let bundled: Promise<string | null> | undefined;

/**
 * The worker's code, bundled in memory by esbuild (what tsx does file by file). A worker started from it is
 * parsing within a few hundred milliseconds; through tsx's module hooks every import is a round trip to the loader
 * thread, which took seconds on a loaded machine. Null (then the tsx entry is used) if esbuild is unavailable.
 */
export function workerSource(): Promise<string | null> {
  bundled ??= (async () => {
    try {
      const esbuild = await import('esbuild');
      const result = await esbuild.build({
        entryPoints: [fileURLToPath(new URL('./parse-worker.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        write: false,
        logLevel: 'silent',
      });
      return result.outputFiles[0]?.text ?? null;
    } catch {
      return null;
    }
  })();
  return bundled;
}

/**
 * Workers pull batches as they become ready; the calling thread parses batches too (yielding between them), so the
 * workers' start-up (loading the TypeScript sources) is not dead time.
 */
async function parseOnWorkers(jobs: readonly ParseJob[], workerCount: number, onProgress?: (done: number, total: number) => void): Promise<ParseOutcome[]> {
  const outcomes = new Array<ParseOutcome>(jobs.length);
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
      const spawn = (source: string | null): void => {
        const worker = source ? new Worker(source, { eval: true }) : new Worker(new URL('./parse-worker-entry.mjs', import.meta.url));
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
      };
      // The calling thread starts at once; workers join when their code is ready.
      workerSource().then((source) => {
        for (let i = 0; i < workerCount && next < jobs.length; i++) spawn(source);
      }, reject);
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
