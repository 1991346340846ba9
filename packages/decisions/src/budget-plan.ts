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
  /** P(good) of the other remaining holes after the first turns out good (afterGood) or bad (afterBad). */
  afterGood?: Float64Array;
  afterBad?: Float64Array;
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

/**
 * The group's remaining holes by P(good), and, when the authority gives the group's uncertainty `variance`, their
 * P(good) after its first hole's result: one Laplace step on the group's shared log-odds. The more uncertain the
 * group, the more one result moves the rest, which is what makes an unexplored group worth a probe even when its
 * mean is below the price (the option to leave after a bad first hole).
 */
export function groupPlans(grid: DecisionGrid, p: Float64Array, from: number, costs: MoveCosts, variance?: Float64Array): GroupPlan[] {
  return grid.groupIds.map((_, g) => {
    const order = grid.groupHoles[g].filter((h) => grid.acquired[h] === 0).sort((a, b) => p[b] - p[a] || a - b);
    const prefix = new Float64Array(order.length + 1);
    order.forEach((h, k) => (prefix[k + 1] = prefix[k] + p[h]));
    const entry = from >= 0 && grid.holeGroup[from] === g ? costs.sameGroup : costs.sameSquare;
    const plan: GroupPlan = { group: g, order, prefix, entry };
    if (variance && order.length > 1) {
      const p1 = p[order[0]];
      const v = variance[order[0]];
      const updated = (y: number): Float64Array => {
        const factor = Math.exp(-(v * (y - p1)) / (1 + v * p1 * (1 - p1)));
        return Float64Array.from(order.slice(1), (h) => 1 / (1 + ((1 - p[h]) / p[h]) * factor));
      };
      plan.afterGood = updated(1);
      plan.afterBad = updated(0);
    }
    return plan;
  });
}

/** Value and time of group plan `gp` at price λ (k = holes taken, 0 if not worth it). */
function evaluate(gp: GroupPlan, lambda: number, sameGroup: number, probe: boolean): { value: number; time: number; k: number } {
  let best = { value: 0, time: 0, k: 0 };
  const n = gp.prefix.length - 1;
  if (n > 0) {
    // Holes are sorted by P(good), so after the first each further hole adds p − λ·sameGroup, a decreasing amount:
    // take them while it is positive.
    const price = lambda * sameGroup;
    let k = 1;
    while (k < n && gp.prefix[k + 1] - gp.prefix[k] > price) k++;
    const time = gp.entry + (k - 1) * sameGroup;
    const value = gp.prefix[k] - lambda * time;
    if (value > 0) best = { value, time, k };
  }
  if (probe && gp.afterGood && gp.afterBad) {
    // Probe: take the first hole, then each other hole whose updated P(good) still pays its price.
    const p1 = gp.prefix[1];
    const price = lambda * sameGroup;
    let value = p1 - lambda * gp.entry;
    let time = gp.entry;
    for (let i = 0; i < gp.afterGood.length; i++) {
      if (gp.afterGood[i] > price) {
        value += p1 * (gp.afterGood[i] - price);
        time += p1 * sameGroup;
      }
      if (gp.afterBad[i] > price) {
        value += (1 - p1) * (gp.afterBad[i] - price);
        time += (1 - p1) * sameGroup;
      }
    }
    if (value > best.value) best = { value, time, k: 1 };
  }
  return best;
}

function planAt(grid: DecisionGrid, groups: GroupPlan[], squareExtra: Float64Array, lambda: number, costs: MoveCosts, probe = false) {
  const value = new Float64Array(groups.length);
  const take = new Int32Array(groups.length);
  const squareValue = new Float64Array(grid.squareIds.length);
  const squareTime = new Float64Array(grid.squareIds.length);
  for (const gp of groups) {
    const r = evaluate(gp, lambda, costs.sameGroup, probe);
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

export function planBudget(
  grid: DecisionGrid,
  p: Float64Array,
  from: number,
  budgetLeft: number,
  costs: MoveCosts,
  variance?: Float64Array,
): BudgetPlan {
  const groups = groupPlans(grid, p, from, costs, variance);
  const squareExtra = Float64Array.from(grid.squareIds, (_, s) => {
    if (from >= 0 && grid.holeSquare[from] === s) return 0;
    const anyGroup = grid.squareGroups[s][0];
    return anyGroup === undefined ? 0 : costToGroup(grid, from, anyGroup, costs) - costs.sameSquare;
  });
  let lo = 0;
  let hi = 1 / Math.min(costs.sameGroup, costs.sameSquare);
  if (planAt(grid, groups, squareExtra, lo, costs).time > budgetLeft) {
    for (let i = 0; i < 16; i++) {
      const mid = (lo + hi) / 2;
      if (planAt(grid, groups, squareExtra, mid, costs).time > budgetLeft) lo = mid;
      else hi = mid;
    }
  } else hi = 0;
  // The smallest λ whose plan fits: the price at which the budget is just used.
  const lambda = hi;
  // λ prices time by what the mean estimates can fill; the decision then also credits each group's probe value.
  const at = planAt(grid, groups, squareExtra, lambda, costs, true);
  return { lambda, groups, value: at.value, take: at.take, squareExtra, squareValue: at.squareValue };
}
