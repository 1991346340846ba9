import { costToGroup, costToSquare, DEFAULT_COSTS, type MoveCosts } from './costs.ts';
import { planBudget } from './budget-plan.ts';
import type { DecisionGrid } from './grid-model.ts';

/**
 * Cost-aware planning from P(good) per hole. The value of going to a foil-hole group is the best rate of good holes
 * per unit time it offers: max over k of (Σ of its k most promising holes' P(good)) / (cost to get there + k − 1),
 * so a move to another square is paid once and spread over the holes collected there, and staying in the current
 * group (cost 1 per hole) wins until its holes are worse than what another group offers after paying the move.
 * k is capped by the time left when a budget is known.
 */

export interface PlanOptions {
  costs?: MoveCosts;
  /**
   * Time left before the session ends; holes beyond it cannot be collected, so they do not make a far group more
   * attractive. A move begun before the end completes and its hole counts, whatever it costs: with t left, the holes
   * reachable are those whose moves, all but the last, fit in t.
   */
  budgetLeft?: number;
  /** Per-hole group uncertainty from the authority (`groupUncertainty()`), to value probing unexplored groups. */
  uncertainty?: Float64Array;
}

export interface GroupValue {
  group: number;
  rate: number;
  /** Holes of the group in collection order (most promising first). */
  order: number[];
}

function remainingByProbability(grid: DecisionGrid, p: Float64Array, group: number): number[] {
  const holes = grid.groupHoles[group].filter((h) => grid.acquired[h] === 0);
  return holes.sort((a, b) => p[b] - p[a] || a - b);
}

/** Best rate of good holes per unit time from visiting `group` next, starting at hole `from` (−1: nowhere). */
export function groupValue(grid: DecisionGrid, p: Float64Array, group: number, from: number, options: PlanOptions = {}): GroupValue {
  const costs = options.costs ?? DEFAULT_COSTS;
  const order = remainingByProbability(grid, p, group);
  const entry = costToGroup(grid, from, group, costs);
  // The entry move and k − 2 more fit in the time left; the k-th hole's move may cross the end.
  const horizon = options.budgetLeft === undefined ? order.length : Math.max(1, Math.floor(options.budgetLeft - entry) + 2);
  let sum = 0;
  let rate = 0;
  for (let k = 1; k <= Math.min(order.length, horizon); k++) {
    sum += p[order[k - 1]];
    rate = Math.max(rate, sum / (entry + (k - 1) * costs.sameGroup));
  }
  return { group, rate, order };
}

/** The remaining hole with the highest P(good) (−1 when every hole is acquired). */
function mostProbable(grid: DecisionGrid, p: Float64Array): number {
  let best = -1;
  for (let h = 0; h < grid.holeCount; h++) if (grid.acquired[h] === 0 && (best < 0 || p[h] > p[best])) best = h;
  return best;
}

/**
 * Time left assumed when none is given (live sessions): enough to collect half of the remaining holes, so the plan
 * still has to choose; the session's real remaining time can be passed instead.
 */
export function defaultHorizon(grid: DecisionGrid, costs: MoveCosts = DEFAULT_COSTS): number {
  let remaining = 0;
  for (let h = 0; h < grid.holeCount; h++) if (grid.acquired[h] === 0) remaining++;
  return (remaining / 2) * costs.sameGroup;
}

/**
 * The next hole to collect from hole `from` (−1: nowhere yet), or −1 when every hole is acquired: the best hole of
 * the current group while it is worth its price (P(good) ≥ λ), else the most valuable group of the current square,
 * else the most valuable square (its value already net of the trip), else the best rate anywhere.
 */
export function nextHole(grid: DecisionGrid, p: Float64Array, from: number, options: PlanOptions = {}): number {
  const costs = options.costs ?? DEFAULT_COSTS;
  const { budgetLeft } = options;
  // Less time left than the cheapest move: whatever comes next is the last hole and its cost no longer matters.
  if (budgetLeft !== undefined && budgetLeft < costs.sameGroup) return mostProbable(grid, p);
  // The plan's last move may cross the end (most often one within a group), so the plan may fill the time left + one.
  const planTime = budgetLeft === undefined ? defaultHorizon(grid, costs) : budgetLeft + costs.sameGroup;
  const plan = planBudget(grid, p, from, planTime, costs, options.uncertainty);
  const { value } = plan;
  const bestGroupOf = (groups: readonly number[]): number => {
    let best = -1;
    for (const g of groups) if (value[g] > 0 && (best < 0 || value[g] > value[best])) best = g;
    return best;
  };
  if (from >= 0) {
    const current = grid.holeGroup[from];
    if (value[current] > 0) return plan.groups[current].order[0];
    const inSquare = bestGroupOf(grid.squareGroups[grid.holeSquare[from]]);
    if (inSquare >= 0) return plan.groups[inSquare].order[0];
  }
  const squareValue = Float64Array.from(plan.squareExtra, (extra) => -plan.lambda * extra);
  for (let g = 0; g < value.length; g++) squareValue[grid.groupSquare[g]] += Math.max(0, value[g]);
  let bestSquare = -1;
  for (let s = 0; s < grid.squareIds.length; s++) {
    if (squareValue[s] > 0 && (bestSquare < 0 || squareValue[s] > squareValue[bestSquare])) bestSquare = s;
  }
  if (bestSquare >= 0) {
    const g = bestGroupOf(grid.squareGroups[bestSquare]);
    if (g >= 0) return plan.groups[g].order[0];
  }
  let best: GroupValue | undefined;
  for (let g = 0; g < grid.groupIds.length; g++) {
    const value = groupValue(grid, p, g, from, options);
    if (value.order.length > 0 && (!best || value.rate > best.rate)) best = value;
  }
  return best ? best.order[0] : -1;
}

export interface SquareSuggestion {
  square: number;
  /** No hole of the square is known yet (EPU has not imaged it): its rate is what the prior expects of it. */
  unseen?: boolean;
  /** Good holes per unit time expected from moving to this square (the best of its groups). */
  rate: number;
  /** Σ P(good) over the square's remaining holes. */
  expectedGood: number;
  remaining: number;
  decision: 'collect' | 'skip';
}

/**
 * Squares ranked by the rate they offer from `from`. A square is skipped when even its best group yields fewer
 * good holes per unit time than `minRate` (default: half of the best square's rate, i.e. not worth the trip while
 * better squares remain).
 *
 * With `unseenPrior` (per square, the P(good) expected of a hole nothing is known about: the authority's
 * `squarePrior`), squares whose holes are not known yet are ranked too, as squares of that many holes as the known
 * squares have (their median; 100 before any is known), each expected at the prior, behind the trip to them: so
 * EPU can be told which square to image next before it has imaged any. Such a square is never skipped (nothing
 * speaks against it yet).
 */
export function rankSquares(
  grid: DecisionGrid,
  p: Float64Array,
  from = -1,
  options: PlanOptions & { minRate?: number; unseenPrior?: Float64Array } = {},
): SquareSuggestion[] {
  const costs = options.costs ?? DEFAULT_COSTS;
  const known = grid.squareHoles.map((holes) => holes.length).filter((n) => n > 0);
  const unseenHoles = known.length > 0 ? known.sort((a, b) => a - b)[Math.floor(known.length / 2)]! : 100;
  const out: SquareSuggestion[] = grid.squareIds.map((_, s) => {
    if (options.unseenPrior && grid.squareHoles[s].length === 0) {
      const prior = options.unseenPrior[s] ?? 0;
      const k = unseenHoles;
      const rate = (k * prior) / (costToSquare(grid, from, s, costs) + (k - 1) * costs.sameGroup);
      return { square: s, unseen: true, rate, expectedGood: k * prior, remaining: 0, decision: 'collect' };
    }
    let rate = 0;
    let expectedGood = 0;
    let remaining = 0;
    for (const g of grid.squareGroups[s]) {
      const value = groupValue(grid, p, g, from, options);
      rate = Math.max(rate, value.rate);
      for (const h of value.order) expectedGood += p[h];
      remaining += value.order.length;
    }
    return { square: s, rate, expectedGood, remaining, decision: 'collect' };
  });
  out.sort((a, b) => b.rate - a.rate || b.expectedGood - a.expectedGood || a.square - b.square);
  const minRate = options.minRate ?? (out[0]?.rate ?? 0) / 2;
  for (const s of out) if (!s.unseen && (s.remaining === 0 || s.rate < minRate)) s.decision = 'skip';
  return out;
}

export interface HoleSuggestion {
  hole: number;
  probability: number;
  decision: 'collect' | 'skip';
}

/**
 * The square's remaining holes in the order the planner would collect them after arriving (no further feedback
 * assumed). A hole is skipped when its P(good) is below `minProbability` (default 0.5). The holes to collect come
 * group by group, in the order the planner first enters each group, each group's in its own order (for position
 * cells, the raster): a plan fixed before any result would otherwise leave a group and come back to it (another
 * stage move each time) only to take its holes best first, which no result in between can change.
 */
export function rankHoles(
  grid: DecisionGrid,
  p: Float64Array,
  square: number,
  options: PlanOptions & { minProbability?: number } = {},
): HoleSuggestion[] {
  const costs = options.costs ?? DEFAULT_COSTS;
  const groups = grid.squareGroups[square].map((g) => ({ group: g, order: remainingByProbability(grid, p, g) }));
  const out: HoleSuggestion[] = [];
  let current = -1;
  for (;;) {
    let best: { group: number; rate: number } | undefined;
    for (const { group, order } of groups) {
      if (order.length === 0) continue;
      const entry = current >= 0 && grid.holeGroup[current] === group ? costs.sameGroup : costs.sameSquare;
      let sum = 0;
      let rate = 0;
      order.forEach((h, k) => {
        sum += p[h];
        rate = Math.max(rate, sum / (entry + k * costs.sameGroup));
      });
      if (!best || rate > best.rate) best = { group, rate };
    }
    if (!best) break;
    const chosen = groups.find((g) => g.group === best.group)!;
    current = chosen.order.shift()!;
    const probability = p[current];
    out.push({ hole: current, probability, decision: probability >= (options.minProbability ?? 0.5) ? 'collect' : 'skip' });
  }
  return groupsTogether(grid, out);
}

/** The `collect` suggestions group by group (first entered first), each group's in `groupHoles` order; skips after. */
function groupsTogether(grid: DecisionGrid, ranked: HoleSuggestion[]): HoleSuggestion[] {
  const byGroup = new Map<number, HoleSuggestion[]>();
  for (const s of ranked) {
    if (s.decision !== 'collect') continue;
    const g = grid.holeGroup[s.hole];
    const list = byGroup.get(g) ?? [];
    list.push(s);
    byGroup.set(g, list);
  }
  const out: HoleSuggestion[] = [];
  for (const [g, list] of byGroup) {
    const position = new Map(grid.groupHoles[g].map((h, k) => [h, k]));
    out.push(...list.sort((a, b) => position.get(a.hole)! - position.get(b.hole)!));
  }
  return [...out, ...ranked.filter((s) => s.decision !== 'collect')];
}
