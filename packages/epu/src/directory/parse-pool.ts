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
  /** Workers started earlier with startWorkers (e.g. while the files were being listed); terminated at the end. */
  prestarted?: Promise<Worker[]>;
}

/** The default number of worker threads: cores − 1, at least 1, at most 7. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, 7));
}

/** Starts `count` parse workers as soon as their code is ready (they wait for work). */
export function startWorkers(count: number): Promise<Worker[]> {
  return workerCode().then((code) =>
    Array.from({ length: count }, () => {
      const worker = typeof code === 'string' ? new Worker(code, { eval: true }) : new Worker(code);
      worker.on('error', () => {}); // reported through the listener parseMany adds; never an unhandled 'error' event
      return worker;
    }),
  );
}

/** Terminates workers from startWorkers, whenever they are ready. */
export async function stopWorkers(workers: Promise<Worker[]> | undefined): Promise<void> {
  if (workers) await Promise.all((await workers).map((w) => w.terminate()));
}

const BATCH_SIZE = 64;
export const MIN_FILES_FOR_WORKERS = 400;

export async function parseMany(jobs: readonly ParseJob[], options: ParseManyOptions = {}): Promise<ParseOutcome[]> {
  const workerCount = Math.min(options.workers ?? defaultWorkerCount(), Math.ceil(jobs.length / BATCH_SIZE));
  const onProgress = options.onProgress;
  if (workerCount <= 0 || jobs.length < (options.minFilesForWorkers ?? MIN_FILES_FOR_WORKERS)) {
    const outcomes: ParseOutcome[] = [];
    for (const job of jobs) {
      outcomes.push(parseOne(job));
      if (onProgress && outcomes.length % BATCH_SIZE === 0) onProgress(outcomes.length, jobs.length);
    }
    onProgress?.(jobs.length, jobs.length);
    return outcomes;
  }
  return parseOnWorkers(jobs, options.prestarted ?? startWorkers(workerCount), onProgress);
}

/** The name of the parse worker's bundled code among the Windows executable's assets. */
export const PARSE_WORKER_ASSET = 'parse-worker.cjs';

let code: Promise<string | URL> | undefined;

/**
 * The parse worker's code: inside the single executable, its bundled source carried as an asset; from compiled
 * JavaScript, the compiled file beside this one; from the TypeScript sources, an in-memory esbuild bundle (what tsx
 * does file by file: a worker started from it is parsing within a few hundred milliseconds, while through tsx's
 * module hooks every import is a round trip to the loader thread, which took seconds on a loaded machine), or the
 * tsx entry when esbuild is unavailable.
 */
export function workerCode(): Promise<string | URL> {
  code ??= (async () => {
    const sea = await import('node:sea').catch(() => undefined);
    if (sea?.isSea()) return sea.getAsset(PARSE_WORKER_ASSET, 'utf8');
    if (import.meta.url.endsWith('.js')) return new URL('./parse-worker.js', import.meta.url);
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
      const text = result.outputFiles[0]?.text;
      if (text) return text;
    } catch {
      // fall through to the tsx entry
    }
    return new URL('./parse-worker-entry.mjs', import.meta.url);
  })();
  return code;
}

/**
 * Workers pull batches as they become ready; the calling thread parses batches too (yielding between them), so the
 * workers' start-up (loading the TypeScript sources) is not dead time.
 */
async function parseOnWorkers(
  jobs: readonly ParseJob[],
  started: Promise<Worker[]>,
  onProgress?: (done: number, total: number) => void,
): Promise<ParseOutcome[]> {
  const outcomes = new Array<ParseOutcome>(jobs.length);
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
      const attach = (worker: Worker): void => {
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
      // The calling thread starts at once; workers join when they are ready.
      started.then((workers) => workers.forEach(attach), reject);
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
    await stopWorkers(started);
  }
  return outcomes;
}
