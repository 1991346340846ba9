import type { DecisionGrid } from './grid-model.ts';
import { logit, sigmoid } from './math.ts';

/** A square's estimated share of good holes with a 95 % interval, and the share of its revealed holes that are good. */
export interface SquareEstimate {
  mean: number;
  low: number;
  high: number;
  /** Mean revealed quality of the square's holes with a result; null when none has one. */
  observedShare: number | null;
  observedHoles: number;
}

const Z95 = 1.959964;

/**
 * Per square (index = square index; null for a square without holes): the mean P(good) over all its holes. With the
 * authority's group uncertainty (posterior log-odds variance per hole), the interval shifts every hole's log-odds by
 * ±1.96 σ together, since holes of a group share that uncertainty. Without it, a Wilson interval around the mean
 * whose count is the square's holes with a result (no result: the whole of [0, 1]).
 */
export function squareEstimates(grid: DecisionGrid, p: Float64Array, groupVariance?: Float64Array): Array<SquareEstimate | null> {
  return grid.squareHoles.map((holes) => {
    if (holes.length === 0) return null;
    let sum = 0;
    let low = 0;
    let high = 0;
    let observedSum = 0;
    let observedHoles = 0;
    for (const h of holes) {
      sum += p[h];
      if (groupVariance) {
        const eta = logit(p[h]);
        const spread = Z95 * Math.sqrt(groupVariance[h]);
        low += sigmoid(eta - spread);
        high += sigmoid(eta + spread);
      }
      if (!Number.isNaN(grid.observed[h])) {
        observedSum += grid.observed[h];
        observedHoles++;
      }
    }
    const mean = sum / holes.length;
    const interval = groupVariance ? { low: low / holes.length, high: high / holes.length } : wilson(mean, observedHoles);
    return {
      mean,
      low: Math.min(mean, interval.low),
      high: Math.max(mean, interval.high),
      observedShare: observedHoles > 0 ? observedSum / observedHoles : null,
      observedHoles,
    };
  });
}

/** Wilson score interval (95 %) for a share `p` seen over `n` trials; n = 0 gives [0, 1]. */
function wilson(p: number, n: number): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
