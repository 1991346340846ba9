// `playVisit`: the visit written over time the way EPU writes it — directories before their files, the session
// file first and rewritten later, bursts of hundreds of files, every file in several chunks (a reader can catch a
// half-written XML), square metadata sometimes after its foil holes' images, duplicate FoilHole manifests later.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { buildVisit, type VisitOptions } from './model.ts';
import { buildPlan, type PlanEntry, type PlanFile, type PlanKind } from './plan.ts';
import { acquisitionEntries, emptySummary, type AcquisitionSummary } from './acquisition/acquire.ts';
import { DecisionService, type DecisionServiceOptions } from './acquisition/decision-service.ts';
import { layTruth, ownTruth, readTruthFile, truthCtf, type HoleTruth } from './acquisition/truth.ts';
import { ProcessingFeedback, type FeedbackOptions, type FeedbackSummary } from './acquisition/feedback.ts';
import { GROUND_TRUTH_FILE, groundTruthCsv } from './ground-truth.ts';
import { summarise, type GeneratedVisit } from './summary.ts';

export interface PlayOptions extends VisitOptions {
  out: string;
  /** Simulated seconds per real second (default 1: real pace; a real visit lasts a day or two). */
  speed?: number;
  /** No waiting between writes; the order, bursts, chunked writes and rewrites are kept. */
  fast?: boolean;
  /** Longest single wait between two writes, in ms (default: none). */
  maxDelayMs?: number;
  /** Stops the play: no new file is started, files in flight are finished, the summary says `aborted`. */
  signal?: AbortSignal;
  /** Every directory, every chunk of a file still being written, every completed file (synchronous). */
  onEvent?: (event: PlayEvent) => void;
  /** Every 500 files and at the end. */
  onProgress?: (progress: { files: number; total: number; simulatedMs: number }) => void;
  /**
   * Obey this Decision Service: ask before each square and each square's holes, skip what is excluded, follow the
   * order (see docs/epu-sim.md). One grid only.
   */
  athena?: DecisionServiceOptions;
  /** A CryoRL truth file laid over the visit (one square per truth square); default: the simulator's own quality. */
  truth?: string;
  /** With `truth`: the truth square (in name order) EPU collects first in its own order, then the next ones, wrapping (default 0). */
  truthStart?: number;
  /** The hidden truth the play collects against, once it is laid (with `athena`, `truth`, `budget` or `feedback`). */
  onTruth?: (truth: HoleTruth) => void;
  /** Stop once this much beam time (the benchmark's units) is spent. */
  budget?: number;
  /** With `athena`, `truth` or `budget`: image every square and find its holes before acquiring any. */
  prepareSquares?: boolean;
  /** With `athena`: read a square's hole selection again before each of its holes (see `acquisitionEntries`). */
  recheckHoles?: boolean;
  /** Send each micrograph's processing results (per the truth) to this backend after a delay; waits for them at the end. */
  feedback?: Omit<FeedbackOptions, 'ctfOf' | 'speed' | 'fast'>;
}

export type PlayEvent =
  | { type: 'dir'; path: string }
  /** A file is open with `written` of its `size` bytes on disk; more chunks follow. */
  | { type: 'chunk'; path: string; kind: PlanKind; written: number; size: number }
  /**
   * `rewrite`: the path existed before (EPU rewrote it). `timeMs`: the file's time in the simulation (ms since the
   * epoch; a micrograph manifest's is the acquisition time it records).
   */
  | { type: 'file'; path: string; kind: PlanKind; size: number; rewrite: boolean; timeMs: number; micrograph?: PlanFile['micrograph'] };

export interface PlaySummary extends GeneratedVisit {
  aborted: boolean;
  dirsCreated: number;
  /** Files written, rewrites included. */
  writes: number;
  rewrites: number;
  /** Simulated time covered, first to last write. */
  simulatedMs: number;
  /** With `athena`, `truth` or `budget`: what was collected, good holes and beam time. */
  acquisition?: AcquisitionSummary;
  feedback?: FeedbackSummary;
}

/** Files being written at once (EPU's bursts; also what makes play --fast quick). */
const IN_FLIGHT = 32;
/** Simulated pause between two chunks of one file (EPU writes over SMB in pieces). */
const CHUNK_GAP_MS = 150;

function chunkSizes(size: number, salt: number): number[] {
  if (size < 512) return [size];
  const parts = 2 + (salt % 3);
  const sizes: number[] = [];
  let left = size;
  for (let i = parts; i > 1; i--) {
    const n = Math.max(1, Math.floor((left / i) * (0.6 + ((salt >> i) % 5) * 0.2)));
    sizes.push(n);
    left -= n;
  }
  sizes.push(left);
  return sizes;
}

/** Longest the play may run behind its clock without `maxDelayMs`; beyond it the clock slips. */
const MAX_LAG_MS = 1000;

/**
 * The play's clock: when each entry is due in real time. Entries are due at fixed times from the start (`speed`
 * simulated seconds per real second), so time spent writing, or the process being busy (the agent shares it in the
 * closed loop), is absorbed by the next wait instead of adding to every one. A gap between two entries counts at most
 * `maxDelayMs` of real time; a play running further behind than `maxDelayMs` (1 s without it) slips, writing the
 * entries late rather than all at once. A decision wait stops the clock: the acquisition charges it to the simulated
 * time unscaled, so the clock moves on by its real time, not by that divided by the speed.
 */
class PlayClock {
  /** Real time (performance.now) at which simulated time `first` was due. */
  private origin: number | undefined;
  private readonly first: number;
  private last: number;
  private waited = 0;
  private readonly maxGap: number;
  private readonly maxLag: number;

  constructor(
    private readonly speed: number,
    t0: number,
    maxDelayMs: number | undefined,
  ) {
    this.first = t0;
    this.last = t0;
    this.maxGap = maxDelayMs ?? Infinity;
    this.maxLag = maxDelayMs ?? MAX_LAG_MS;
  }

  /** Real ms until simulated time `t` is due; `decisionWaitMs`: the acquisition's decision waits so far. */
  until(t: number, decisionWaitMs: number): number {
    const now = performance.now();
    this.origin ??= now;
    const waited = decisionWaitMs - this.waited;
    if (waited > 0) {
      this.origin += waited - waited / this.speed;
      this.waited = decisionWaitMs;
    }
    const gap = (t - this.last) / this.speed;
    if (gap > this.maxGap) this.origin -= gap - this.maxGap;
    this.last = Math.max(this.last, t);
    const due = this.origin + (this.last - this.first) / this.speed;
    if (now - due > this.maxLag) this.origin += now - due - this.maxLag;
    return due - now;
  }
}

export async function playVisit(opts: PlayOptions): Promise<PlaySummary> {
  const started = performance.now();
  const root = resolve(opts.out);
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new Error(`epu-sim play: --speed must be a positive number, got ${opts.speed}`);
  const fast = opts.fast ?? false;
  const acquiring = opts.athena !== undefined || opts.truth !== undefined || opts.budget !== undefined;
  if (opts.budget !== undefined && !(opts.budget > 0))
    throw new Error(`epu-sim play: --budget must be a positive number, got ${opts.budget}`);
  const truthFile = opts.truth === undefined ? undefined : await readTruthFile(opts.truth, opts.truthStart);
  const visit = buildVisit(truthFile ? { ...opts, holesBySquare: truthFile.holesBySquare } : opts);
  const laid = truthFile && opts.truth !== undefined ? layTruth(visit, truthFile.dataset, opts.truth, opts.truthStart) : undefined;
  const plan = buildPlan(visit);
  await mkdir(root, { recursive: true });
  const truthPath = join(root, GROUND_TRUTH_FILE);
  const truth = groundTruthCsv(visit);
  await writeFile(truthPath, truth);
  const holeTruth = acquiring || opts.feedback ? (laid ?? (await ownTruth(truthPath))) : undefined;
  if (holeTruth) opts.onTruth?.(holeTruth);
  const feedback =
    opts.feedback && holeTruth
      ? new ProcessingFeedback({ ...opts.feedback, speed, fast, ctfOf: (id) => truthCtf(holeTruth, id) })
      : undefined;
  const acquisition = acquiring && holeTruth ? emptySummary(holeTruth, opts.budget) : undefined;
  const entries: Iterable<PlanEntry> | AsyncIterable<PlanEntry> =
    holeTruth && acquisition
      ? acquisitionEntries(
          visit,
          {
            truth: holeTruth,
            budget: opts.budget,
            prepareSquares: opts.prepareSquares,
            recheckHoles: opts.recheckHoles,
            ...(opts.athena ? { decisions: new DecisionService(opts.athena) } : {}),
          },
          acquisition,
        )
      : plan;

  const total = plan.filter((e) => e.type === 'file').length;
  const written = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();
  const slots = new Set<Promise<void>>();
  let bytes = Buffer.byteLength(truth);
  let files = 0;
  let rewrites = 0;
  let dirs = 0;
  let aborted = false;
  const t0 = plan.length > 0 ? plan[0].timeMs : 0;
  let lastTime = t0;
  const chunkGap = fast ? 0 : CHUNK_GAP_MS / speed;
  const clock = new PlayClock(speed, t0, opts.maxDelayMs);

  const writeChunked = async (file: PlanFile, index: number): Promise<void> => {
    const content = file.content();
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const rewrite = written.has(file.path);
    written.add(file.path);
    const handle = await open(join(root, file.path), 'w');
    try {
      const sizes = chunkSizes(data.length, index);
      let offset = 0;
      for (let i = 0; i < sizes.length; i++) {
        await handle.write(data, offset, sizes[i]);
        offset += sizes[i];
        if (i < sizes.length - 1) {
          opts.onEvent?.({ type: 'chunk', path: file.path, kind: file.kind, written: offset, size: data.length });
          if (chunkGap >= 1 && !opts.signal?.aborted) await sleep(chunkGap);
          else await yieldToLoop();
        }
      }
    } finally {
      await handle.close();
    }
    bytes += data.length;
    files++;
    if (rewrite) rewrites++;
    if (file.micrograph && !rewrite) feedback?.micrograph(file.micrograph);
    opts.onEvent?.({
      type: 'file',
      path: file.path,
      kind: file.kind,
      size: data.length,
      rewrite,
      timeMs: file.timeMs,
      ...(file.micrograph ? { micrograph: file.micrograph } : {}),
    });
    if (files % 500 === 0) opts.onProgress?.({ files, total, simulatedMs: lastTime - t0 });
  };

  let index = 0;
  for await (const entry of entries) {
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
    if (!fast) {
      const wait = clock.until(Math.max(lastTime, entry.timeMs), acquisition?.decisionWaitMs ?? 0);
      if (wait >= 1) await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
    }
    lastTime = Math.max(lastTime, entry.timeMs);
    if (entry.type === 'dir') {
      await mkdir(join(root, entry.path), { recursive: true });
      dirs++;
      opts.onEvent?.({ type: 'dir', path: entry.path });
      continue;
    }
    while (slots.size >= IN_FLIGHT) await Promise.race(slots);
    const previous = inFlight.get(entry.path);
    const i = index++;
    const task: Promise<void> = (previous ?? Promise.resolve()).then(() => writeChunked(entry, i));
    inFlight.set(entry.path, task);
    const slot = task.finally(() => {
      slots.delete(slot);
      if (inFlight.get(entry.path) === task) inFlight.delete(entry.path);
    });
    slots.add(slot);
    if (entry.flush) await task;
  }
  await Promise.all(slots);
  opts.onProgress?.({ files, total, simulatedMs: lastTime - t0 });
  const feedbackSummary = feedback ? await (aborted ? feedback.stop() : feedback.drain()) : undefined;
  return {
    ...summarise(visit, root),
    groundTruthCsv: truthPath,
    files: written.size + 1,
    bytes,
    elapsedMs: performance.now() - started,
    aborted,
    dirsCreated: dirs,
    writes: files,
    rewrites,
    simulatedMs: lastTime - t0,
    ...(acquisition ? { acquisition } : {}),
    ...(feedbackSummary ? { feedback: feedbackSummary } : {}),
  };
}
