import { costToGroup, type MoveCosts } from './costs.ts';
import type { DecisionGrid } from './grid-model.ts';

/**
 * Which holes are worth the time left. Choosing holes under a time budget is a knapsack; with a Lagrange price λ
 * per unit of time it splits into independent choices: a foil-hole group is worth entering for its k best holes
 * when Σ P(good) − λ·(entry + k − 1) > 0, and a square for its groups when their summed value pays for the trip to
 * it (its extra entry cost beyond a within-square move). λ is found by bisection so that the plan fills the time
 * left. A hole of the current group is then worth taking now exactly when P(good) ≥ λ: later it would cost a
 * re-entry. λ is the marginal rate of good holes per unit time, the opportunity cost of every decision.
 */

export interface GroupPlan {
  group: number;
  /** Remaining holes, most promising first. */
  order: number[];
  /** Prefix sums of P(good) over `order`. */
  prefix: Float64Array;
  /** Cost of the first hole of this group given the square is already reached (1 current group, else sameSquare). */
  entry: number;
}

export interface BudgetPlan {
  lambda: number;
  groups: GroupPlan[];
  /** Value at λ of each group (0 when not worth entering) and the number of holes planned in it. */
  value: Float64Array;
  take: Int32Array;
  /** Extra cost of reaching each square from the current hole beyond a within-square move (0 for the current one). */
  squareExtra: Float64Array;
  /** Value at λ of each square (its groups' values minus λ × its extra entry cost), ≤ 0 when not worth the trip. */
  squareValue: Float64Array;
}

export function groupPlans(grid: DecisionGrid, p: Float64Array, from: number, costs: MoveCosts): GroupPlan[] {
  return grid.groupIds.map((_, g) => {
    const order = grid.groupHoles[g].filter((h) => grid.acquired[h] === 0).sort((a, b) => p[b] - p[a] || a - b);
    const prefix = new Float64Array(order.length + 1);
    order.forEach((h, k) => (prefix[k + 1] = prefix[k] + p[h]));
    const entry = from >= 0 && grid.holeGroup[from] === g ? costs.sameGroup : costs.sameSquare;
    return { group: g, order, prefix, entry };
  });
}

/** Value and time of group plan `gp` at price λ (k = holes taken, 0 if not worth it). */
function evaluate(gp: GroupPlan, lambda: number, sameGroup: number): { value: number; time: number; k: number } {
  let best = { value: 0, time: 0, k: 0 };
  for (let k = 1; k < gp.prefix.length; k++) {
    const time = gp.entry + (k - 1) * sameGroup;
    const value = gp.prefix[k] - lambda * time;
    if (value > best.value) best = { value, time, k };
  }
  return best;
}

function planAt(grid: DecisionGrid, groups: GroupPlan[], squareExtra: Float64Array, lambda: number, costs: MoveCosts) {
  const value = new Float64Array(groups.length);
  const take = new Int32Array(groups.length);
  const squareValue = new Float64Array(grid.squareIds.length);
  const squareTime = new Float64Array(grid.squareIds.length);
  for (const gp of groups) {
    const r = evaluate(gp, lambda, costs.sameGroup);
    value[gp.group] = r.value;
    take[gp.group] = r.k;
    const s = grid.groupSquare[gp.group];
    squareValue[s] += r.value;
    squareTime[s] += r.time;
  }
  let time = 0;
  for (let s = 0; s < squareValue.length; s++) {
    squareValue[s] -= lambda * squareExtra[s];
    if (squareValue[s] > 0) time += squareTime[s] + squareExtra[s];
  }
  return { value, take, squareValue, time };
}

export function planBudget(grid: DecisionGrid, p: Float64Array, from: number, budgetLeft: number, costs: MoveCosts): BudgetPlan {
  const groups = groupPlans(grid, p, from, costs);
  const squareExtra = Float64Array.from(grid.squareIds, (_, s) => {
    if (from >= 0 && grid.holeSquare[from] === s) return 0;
    const anyGroup = grid.squareGroups[s][0];
    return anyGroup === undefined ? 0 : costToGroup(grid, from, anyGroup, costs) - costs.sameSquare;
  });
  let lo = 0;
  let hi = 1 / Math.min(costs.sameGroup, costs.sameSquare);
  if (planAt(grid, groups, squareExtra, lo, costs).time > budgetLeft) {
    for (let i = 0; i < 24; i++) {
      const mid = (lo + hi) / 2;
      if (planAt(grid, groups, squareExtra, mid, costs).time > budgetLeft) lo = mid;
      else hi = mid;
    }
  } else hi = 0;
  // The smallest λ whose plan fits: the price at which the budget is just used.
  const lambda = hi;
  const at = planAt(grid, groups, squareExtra, lambda, costs);
  return { lambda, groups, value: at.value, take: at.take, squareExtra, squareValue: at.squareValue };
}

/**
 * Value at price λ of probing group `gp`: collect its most promising hole, then keep each remaining hole whose
 * P(good), updated by that one result, is still ≥ λ. The update is one Laplace step on the group's shared log-odds
 * (variance `variance[h]` from the authority): the more uncertain the group, the more one result moves the rest,
 * which is what makes an unexplored group worth a look even when its mean is below λ (the option to leave).
 */
export function probeValue(gp: GroupPlan, p: Float64Array, variance: Float64Array, lambda: number, sameGroup: number): number {
  if (gp.order.length === 0) return 0;
  const first = gp.order[0];
  const p1 = p[first];
  const v = variance[first];
  const continuation = (y: number): number => {
    const shift = (v * (y - p1)) / (1 + v * p1 * (1 - p1));
    let total = 0;
    for (let k = 1; k < gp.order.length; k++) {
      const q = p[gp.order[k]];
      const updated = 1 / (1 + ((1 - q) / q) * Math.exp(-shift));
      if (updated > lambda * sameGroup) total += updated - lambda * sameGroup;
    }
    return total;
  };
  return p1 - lambda * gp.entry + p1 * continuation(1) + (1 - p1) * continuation(0);
}
