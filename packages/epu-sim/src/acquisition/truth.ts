// The true quality of every hole the simulator can collect, in the benchmark's terms (CTF in Å, good ⇔ CTF ≤ the
// threshold, the CryoRL hierarchy of tile / square / patch for beam-time costs): either a CryoRL truth file laid over
// the visit, or the simulator's own `ground-truth.csv` read back by the same reader `bench decisions` uses.
import { GOOD_CTF_ANGSTROM, loadCryoRl, type BenchDataset, type BenchHole } from '@smartem/decisions/bench/dataset';
import { indexDataset, type BenchGrid } from '@smartem/decisions/bench/episode';
import type { Visit } from '../model.ts';

export interface HoleTruth {
  /** Where it came from (a file path). */
  source: string;
  grid: BenchGrid;
  /** EPU foil hole id → index into `grid` (every hole EPU targets). */
  index: Map<number, number>;
}

export function truthCtf(truth: HoleTruth, holeId: number): number | undefined {
  const i = truth.index.get(holeId);
  return i === undefined ? undefined : truth.grid.dataset.holes[i].ctf;
}

export function isGood(truth: HoleTruth, holeId: number): boolean {
  const i = truth.index.get(holeId);
  return i !== undefined && truth.grid.good[i] === 1;
}

/**
 * The CryoRL squares in name order, each with its holes by patch then name: EPU's raster meets the patches in turn.
 * With `first`, the list starts at that square (and wraps around): the operator's first pick gets it.
 */
export function truthSquares(dataset: BenchDataset, first = 0): BenchHole[][] {
  const bySquare = new Map<string, BenchHole[]>();
  for (const h of dataset.holes) {
    const list = bySquare.get(h.square) ?? [];
    list.push(h);
    bySquare.set(h.square, list);
  }
  const squares = [...bySquare.keys()]
    .sort()
    .map((k) => bySquare.get(k)!.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  const k = ((first % squares.length) + squares.length) % squares.length;
  return [...squares.slice(k), ...squares.slice(0, k)];
}

/** The square (index into `truthSquares(dataset)`) holding the dataset's hole `index`. */
export function truthSquareOf(dataset: BenchDataset, index: number): number {
  const names = [...new Set(dataset.holes.map((h) => h.square))].sort();
  return names.indexOf(dataset.holes[index].square);
}

/** Reads a CryoRL truth file; `holesBySquare` of the result sizes the visit so that `layTruth` can map it 1:1. */
export async function readTruthFile(path: string, first = 0): Promise<{ dataset: BenchDataset; holesBySquare: number[] }> {
  const dataset = await loadCryoRl(path);
  return { dataset, holesBySquare: truthSquares(dataset, first).map((s) => s.length) };
}

/** Quality in [0, 1] standing for a CTF (the inverse of the bench's `ctfFromQuality`, clamped). */
function qualityFromCtf(ctf: number): number {
  return Math.min(1, Math.max(0, 1 - (ctf - 3) / 6));
}

/**
 * Lays a CryoRL dataset over a one-grid visit built with its `holesBySquare`: the square EPU collects k-th in its own
 * order gets the k-th truth square (counted from `first`: EPU starts where an offline episode of that square starts),
 * its targeted holes in EPU's raster order get that square's holes in turn. Each
 * hole's simulated quality is replaced by the truth's (previews and `ground-truth.csv` then agree with it).
 */
export function layTruth(visit: Visit, dataset: BenchDataset, source: string, first = 0, threshold = GOOD_CTF_ANGSTROM): HoleTruth {
  if (visit.grids.length !== 1) throw new Error(`--truth lays one grid over the visit; got --grids ${visit.grids.length}`);
  const squares = truthSquares(dataset, first);
  const position = new Map(dataset.holes.map((h, i) => [h, i]));
  const index = new Map<number, number>();
  for (const sq of visit.grids[0].squares) {
    if (sq.selectionRank < 0) continue;
    const truthHoles = squares[sq.order];
    const targets = sq.holes.filter((h) => h.selected);
    if (!truthHoles || truthHoles.length !== targets.length) {
      throw new Error(`${source}: truth square ${sq.order + 1} has ${truthHoles?.length ?? 0} holes, the visit's has ${targets.length}`);
    }
    targets.forEach((hole, k) => {
      index.set(hole.id, position.get(truthHoles[k])!);
      hole.quality = qualityFromCtf(truthHoles[k].ctf);
    });
  }
  return { source, grid: indexDataset(dataset, threshold), index };
}

/** The simulator's own truth: its `ground-truth.csv` read as `bench decisions --truth` reads it. */
export async function ownTruth(groundTruthCsv: string, threshold = GOOD_CTF_ANGSTROM): Promise<HoleTruth> {
  const dataset = await loadCryoRl(groundTruthCsv);
  return { source: groundTruthCsv, grid: indexDataset(dataset, threshold), index: new Map(dataset.holes.map((h, i) => [Number(h.id), i])) };
}
