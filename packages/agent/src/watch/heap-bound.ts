import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the agent's heap close to its live size. While catching up, the agent turns files into short-lived objects
 * (parsed fields, journal lines, request bodies) faster than V8's heuristics collect them: they outlive the young
 * generation, and the old generation grows to about twice its live size before a full collection, which pushed the
 * agent's RSS past 250 MB on a 50,000-micrograph visit. A full collection whenever the heap has grown by a quarter
 * over the live size the last one left (never below `floorBytes`) bounds that. A hard `--max-old-space-size` would
 * bound it too, but would crash a long session whose live data outgrows the cap; this never refuses memory.
 */
export interface HeapBoundOptions {
  /** Collect only above this many bytes of used heap. */
  floorBytes?: number;
  /** Collect when used heap exceeds the live size after the last collection by this factor. */
  growth?: number;
  intervalMs?: number;
  /** Reads the used heap (tests pass their own). */
  heapUsed?: () => number;
}

export interface HeapBound {
  /** Full collections run so far. */
  readonly collections: number;
  /** What the timer does: collect if the heap has grown past the bound; says whether it collected. */
  check(): boolean;
  stop(): void;
}

/** V8's full-collection function, made available without starting node with --expose-gc. */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function boundHeap(options: HeapBoundOptions = {}): HeapBound {
  const floor = options.floorBytes ?? 64 * 2 ** 20;
  const growth = options.growth ?? 1.25;
  const heapUsed = options.heapUsed ?? (() => process.memoryUsage().heapUsed);
  const gc = fullCollection();
  let live = 0;
  let collections = 0;
  const check = (): boolean => {
    if (heapUsed() <= Math.max(floor, live * growth)) return false;
    gc();
    collections++;
    live = heapUsed();
    return true;
  };
  const timer = setInterval(check, options.intervalMs ?? 500);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    check,
    stop: () => clearInterval(timer),
  };
}
