import { createRng, type Rng } from '@smartem/common/rng';
import type { BenchDataset } from './dataset.ts';

/** Index-based view of a dataset shared by every policy: hierarchy ids as small integers, truth as booleans. */
export interface BenchGrid {
  dataset: BenchDataset;
  tile: Int32Array;
  square: Int32Array;
  group: Int32Array;
  good: Uint8Array;
  /** Predicted good (prediction ≤ threshold); all 0 without predictions. */
  predictedGood: Uint8Array;
  hasPredictions: boolean;
  threshold: number;
}

export function indexDataset(dataset: BenchDataset, threshold: number): BenchGrid {
  const ids = (key: (i: number) => string): Int32Array => {
    const map = new Map<string, number>();
    return Int32Array.from(dataset.holes, (_, i) => {
      const k = key(i);
      if (!map.has(k)) map.set(k, map.size);
      return map.get(k)!;
    });
  };
  return {
    dataset,
    tile: ids((i) => dataset.holes[i].tile),
    square: ids((i) => dataset.holes[i].square),
    group: ids((i) => dataset.holes[i].group),
    good: Uint8Array.from(dataset.holes, (h) => (h.ctf <= threshold ? 1 : 0)),
    predictedGood: Uint8Array.from(dataset.holes, (h) => (h.predicted !== undefined && h.predicted <= threshold ? 1 : 0)),
    hasPredictions: dataset.holes.some((h) => h.predicted !== undefined),
    threshold,
  };
}

/** The protocol's time cost between two holes: 1 same patch, 2 same square, 6 same atlas tile, 8 otherwise. */
export function cost(g: BenchGrid, a: number, b: number): number {
  if (g.group[a] === g.group[b]) return 1;
  if (g.square[a] === g.square[b]) return 2;
  if (g.tile[a] === g.tile[b]) return 6;
  return 8;
}

/**
 * A policy plays one episode: it is told the start, asked for the next unvisited hole (with the time left before the
 * budget; the move that crosses it still counts), and shown each result: good or not, and the true CTF (Å).
 */
export interface EpisodePolicy {
  start(hole: number, rng: Rng): void;
  next(current: number, visited: Uint8Array, budgetLeft: number): number;
  reveal(hole: number, good: boolean, ctf: number): void;
}

export interface PolicySpec {
  name: string;
  needsPredictions: boolean;
  /** `next` may answer −1 before every hole is visited: the episode then ends. */
  mayEndEarly?: boolean;
  create(g: BenchGrid): EpisodePolicy;
}

/** Where an episode's time went: holes visited and time spent per kind of move (keyed by the move's cost). */
export interface EpisodeTrace {
  visited: number;
  timeByMove: Record<number, number>;
}

/** The hole an episode of `seed` starts at, among `n` (uniformly random). */
export function startHole(n: number, seed: number): number {
  return Math.floor(createRng(seed)() * n);
}

/**
 * One episode: start at a uniformly random hole (visited, not counted); each step adds the move's cost, reveals the
 * hole and counts it if good; the episode ends once elapsed time exceeds the budget (the crossing step counts).
 * With `trace`, also records the holes visited and the time per kind of move.
 */
export function runEpisode(g: BenchGrid, spec: PolicySpec, seed: number, budget: number, trace?: EpisodeTrace): number {
  const n = g.good.length;
  const visited = new Uint8Array(n);
  let current = startHole(n, seed);
  visited[current] = 1;
  const policy = spec.create(g);
  policy.start(current, createRng(seed + 1_000_003));
  policy.reveal(current, g.good[current] === 1, g.dataset.holes[current].ctf);
  let elapsed = 0;
  let collected = 0;
  let steps = 1;
  while (elapsed <= budget && steps < n) {
    const next = policy.next(current, visited, budget - elapsed);
    // A policy under EPU's constraints may have nothing left it can reach.
    if (next < 0 && spec.mayEndEarly) break;
    if (next < 0 || visited[next]) throw new Error(`${spec.name} chose ${next}, which is not an unvisited hole`);
    const step = cost(g, current, next);
    elapsed += step;
    if (trace) {
      trace.visited++;
      trace.timeByMove[step] = (trace.timeByMove[step] ?? 0) + step;
    }
    visited[next] = 1;
    steps++;
    if (g.good[next]) collected++;
    policy.reveal(next, g.good[next] === 1, g.dataset.holes[next].ctf);
    current = next;
  }
  return collected;
}
