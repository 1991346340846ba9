import type { DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { rankHoles, rankSquares, type HoleSuggestion, type SquareSuggestion } from './planner.ts';

/**
 * What SmartEM recommends to EPU, which collects a square's holes and moves on, never coming back: the order of the
 * squares, which to skip, and for the next few squares (and the one being collected) which holes to take in which
 * order. Pure: the backend turns it into instructions, and the offline harness plays EPU following it.
 */

/** Squares ahead in the recommended order whose holes are planned too. */
export const SQUARES_WITH_HOLE_PLANS = 3;

/** Relative step within which two squares' estimates count as equal. */
const EQUAL_WITHIN = 1.05;

export interface Recommendations {
  /** Squares in the recommended order, each to collect or to skip; unseen ones (holes not found yet) included. */
  squares: SquareSuggestion[];
  /** For each planned square, its remaining holes in order, each to collect or to pass over. */
  holes: Array<{ square: number; holes: HoleSuggestion[] }>;
}

/**
 * The grid's recommendations from the authority's estimate `p`, with the microscope at hole `current` (−1: nothing
 * collected yet). `epuRank` is each square's place in EPU's own order (the operator's): where the estimate does not
 * tell squares apart, that order stands.
 */
export function recommend(
  grid: DecisionGrid,
  engine: DecisionAuthority,
  p: Float64Array,
  current: number,
  epuRank: ArrayLike<number>,
): Recommendations {
  const squares = squareOrder(grid, engine, p, current, epuRank);
  return { squares, holes: holeSelections(grid, p, current, squares, plannedSquares(grid, squares, current)) };
}

/**
 * Every square with holes left, and every square of the atlas EPU has not imaged yet (at what the learner expects of
 * them, so the order tells EPU which square to image next; not before EPU has collected anything, when nothing tells
 * those apart), in order of the mean P(good) of their remaining holes, then of their expected good holes (at the same
 * quality a larger square keeps the microscope longer for one trip), then EPU's own order. Differences within 5 % are
 * no difference: they are not what the results say, and do not overrule the operator's order.
 */
export function squareOrder(
  grid: DecisionGrid,
  engine: DecisionAuthority,
  p: Float64Array,
  current: number,
  epuRank: ArrayLike<number>,
): SquareSuggestion[] {
  const unseenPrior = current >= 0 ? (engine.squarePrior?.() ?? uniformPrior(grid, p)) : undefined;
  const squares = rankSquares(grid, p, current, { unseenPrior }).filter((s) => s.unseen || s.remaining > 0);
  return inRecommendedOrder(squares, epuRank, unseenPrior);
}

/**
 * Squares (from `rankSquares`) in the recommended order: by the mean P(good) of their remaining holes (unseen ones at
 * `unseenPrior`; none left: 0), then their expected good holes, then EPU's order, values within 5 % equal.
 */
export function inRecommendedOrder(
  squares: readonly SquareSuggestion[],
  epuRank: ArrayLike<number>,
  unseenPrior?: Float64Array,
): SquareSuggestion[] {
  const quality = (s: SquareSuggestion) => (s.unseen ? (unseenPrior?.[s.square] ?? 0) : s.remaining > 0 ? s.expectedGood / s.remaining : 0);
  return tiers(squares, quality).flatMap((tier) =>
    tiers(tier, (s) => s.expectedGood).flatMap((same) => same.sort((a, b) => epuRank[a.square]! - epuRank[b.square]!)),
  );
}

/** Each square's place in EPU's own order: EPU numbers its squares in the order it takes them (ids in numeric order). */
export function epuRankOf(naturalIds: readonly string[]): Int32Array {
  const rank = new Int32Array(naturalIds.length);
  [...naturalIds.keys()]
    .sort((a, b) => naturalIds[a]!.localeCompare(naturalIds[b]!, undefined, { numeric: true }))
    .forEach((square, k) => (rank[square] = k));
  return rank;
}

/** Items from the largest value down, cut into tiers: a tier takes every item within 5 % of its first. */
function tiers<T>(items: readonly T[], value: (item: T) => number): T[][] {
  const out: T[][] = [];
  for (const item of [...items].sort((a, b) => value(b) - value(a))) {
    const tier = out.at(-1);
    if (tier && value(item) * EQUAL_WITHIN >= value(tier[0]!)) tier.push(item);
    else out.push([item]);
  }
  return out;
}

/**
 * Squares whose holes are planned: the first few of the order whose holes are known, the first few EPU has not
 * started whose holes are known (to collect or to skip: EPU may be imaging one the order no longer names), and the
 * one being collected.
 */
export function plannedSquares(grid: DecisionGrid, squares: readonly SquareSuggestion[], current: number): number[] {
  const known = (list: readonly SquareSuggestion[]) => list.filter((s) => !s.unseen).slice(0, SQUARES_WITH_HOLE_PLANS);
  const planned = new Set(
    [...known(squares.filter((s) => s.decision === 'collect')), ...known(squares.filter((s) => !started(grid, s.square)))].map(
      (s) => s.square,
    ),
  );
  if (current >= 0) planned.add(grid.holeSquare[current]!);
  return [...planned];
}

/**
 * The holes of each planned square in the order to collect them, each to collect or to pass over. A hole is worth
 * collecting when it promises more good holes per unit time than going elsewhere would: the best rate among the
 * squares EPU has not started (their trips paid), unseen ones at the prior; with nothing else left, every hole is.
 * The square being collected (that of hole `current`) is left only for a clearly better one, at less than half that
 * rate (as a square is skipped): leaving cannot be undone, and its first few results say little yet.
 */
export function holeSelections(
  grid: DecisionGrid,
  p: Float64Array,
  current: number,
  squares: readonly SquareSuggestion[],
  planned: Iterable<number>,
): Array<{ square: number; holes: HoleSuggestion[] }> {
  const fresh = squares.filter((s) => !started(grid, s.square));
  const here = current >= 0 ? grid.holeSquare[current] : -1;
  const out: Array<{ square: number; holes: HoleSuggestion[] }> = [];
  for (const s of planned) {
    const elsewhere = fresh.reduce((best, o) => (o.square === s ? best : Math.max(best, o.rate)), 0);
    const holes = rankHoles(grid, p, s, { minProbability: s === here ? elsewhere / 2 : elsewhere });
    if (holes.length > 0) out.push({ square: s, holes });
  }
  return out;
}

/** Whether any hole of the square is acquired (or being acquired). */
export function started(grid: DecisionGrid, square: number): boolean {
  return grid.squareHoles[square]!.some((h) => grid.acquired[h] === 1);
}

/** For authorities without a square prior: every unseen square at the mean P(good) of the known holes (0.5 without any). */
function uniformPrior(grid: DecisionGrid, p: Float64Array): Float64Array {
  const mean = p.length > 0 ? p.reduce((a, b) => a + b, 0) / p.length : 0.5;
  return new Float64Array(grid.squareIds.length).fill(mean);
}
