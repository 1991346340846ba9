import { costToGroup, DEFAULT_COSTS, type MoveCosts } from './costs.ts';
import { planBudget, type BudgetPlan } from './budget-plan.ts';
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

/** The budget plan from hole `from` for the time left (the default horizon when none is given). */
export function planFrom(grid: DecisionGrid, p: Float64Array, from: number, options: PlanOptions = {}): BudgetPlan {
  const costs = options.costs ?? DEFAULT_COSTS;
  const { budgetLeft } = options;
  // The plan's last move may cross the end (most often one within a group), so the plan may fill the time left + one.
  const planTime = budgetLeft === undefined ? defaultHorizon(grid, costs) : budgetLeft + costs.sameGroup;
  return planBudget(grid, p, from, planTime, costs, options.uncertainty);
}

/**
 * The next hole to collect from hole `from` (−1: nowhere yet), or −1 when every hole is acquired: the best hole of
 * the current group while it is worth its price (P(good) ≥ λ), else the most valuable group of the current square,
 * else the most valuable square (its value already net of the trip), else the best rate anywhere.
 */
export function nextHole(grid: DecisionGrid, p: Float64Array, from: number, options: PlanOptions = {}): number {
  const costs = options.costs ?? DEFAULT_COSTS;
  // Less time left than the cheapest move: whatever comes next is the last hole and its cost no longer matters.
  if (options.budgetLeft !== undefined && options.budgetLeft < costs.sameGroup) return mostProbable(grid, p);
  const plan = planFrom(grid, p, from, options);
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
  const { squareValue } = plan;
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
  /** Good holes per unit time expected from moving to this square (the best of its groups). */
  rate: number;
  /** The square's value in the plan `nextHole` follows: its groups' values at the price λ, net of the trip to it. */
  value: number;
  /** Σ P(good) over the square's remaining holes. */
  expectedGood: number;
  remaining: number;
  decision: 'collect' | 'skip';
}

/**
 * Squares in the order the planner (`nextHole`) would go to them from `from`: the current square while it is worth
 * staying in, then by their value in the plan, net of the trip, then by rate. A square is skipped when it has no holes left or is not worth the
 * trip at the plan's price λ (value ≤ 0: the time is better spent elsewhere while the estimates stand), unless no
 * square is: then the first by rate is collected, as `nextHole` would. `plan`: `planFrom(grid, p, from, options)`.
 */
export function rankSquares(
  grid: DecisionGrid,
  p: Float64Array,
  from = -1,
  options: PlanOptions = {},
  plan: BudgetPlan = planFrom(grid, p, from, options),
): SquareSuggestion[] {
  const out: SquareSuggestion[] = grid.squareIds.map((_, s) => {
    let rate = 0;
    let expectedGood = 0;
    let remaining = 0;
    for (const g of grid.squareGroups[s]) {
      const value = groupValue(grid, p, g, from, options);
      rate = Math.max(rate, value.rate);
      for (const h of value.order) expectedGood += p[h];
      remaining += value.order.length;
    }
    // The current square's value has no trip in it: it is worth staying in while any of its groups is.
    const value = plan.squareValue[s];
    const decision: SquareSuggestion['decision'] = remaining > 0 && value > 0 ? 'collect' : 'skip';
    return { square: s, rate, value, expectedGood, remaining, decision };
  });
  // `nextHole` stays in the current square while any of its groups is worth it; squares not worth their trip follow
  // by rate: when none is worth it, `nextHole` goes to the best rate anywhere.
  const current = from >= 0 ? grid.holeSquare[from] : -1;
  const worth = (s: SquareSuggestion) => (s.value > 0 && s.square === current ? Infinity : Math.max(0, s.value));
  out.sort((a, b) => worth(b) - worth(a) || b.rate - a.rate || b.expectedGood - a.expectedGood || a.square - b.square);
  const first = out.find((s) => s.remaining > 0);
  if (first && !out.some((s) => s.decision === 'collect')) first.decision = 'collect';
  return out;
}

export interface HoleSuggestion {
  hole: number;
  probability: number;
  decision: 'collect' | 'skip';
}

/**
 * The square's remaining holes in the order the planner would collect them after arriving (no further feedback
 * assumed). A hole is skipped when its P(good) is below `minProbability` (default 0.5; the plan's price λ per hole
 * is what `nextHole` uses: a hole is worth taking when P(good) ≥ λ).
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
  return out;
}

export interface Recommendation {
  plan: BudgetPlan;
  /** Every square, in the order `nextHole` would go to them (`rankSquares`). */
  squares: SquareSuggestion[];
  /** A square's remaining holes in collection order, those below the plan's price per hole skipped. */
  holes(square: number): HoleSuggestion[];
}

/**
 * What the planner recommends from hole `from` (−1: nowhere yet) given P(good): the plan `nextHole` follows, read
 * out as a square order and per-square hole plans, for a microscope that collects square by square.
 */
export function recommend(grid: DecisionGrid, p: Float64Array, from: number, options: PlanOptions = {}): Recommendation {
  const costs = options.costs ?? DEFAULT_COSTS;
  const plan = planFrom(grid, p, from, options);
  return {
    plan,
    squares: rankSquares(grid, p, from, options, plan),
    holes: (square) => rankHoles(grid, p, square, { ...options, minProbability: plan.lambda * costs.sameGroup }),
  };
}
