import type { DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { sigmoid } from './math.ts';

const P_FLOOR = 0.02;

/**
 * Model weighting done right (the original's §8.2 update rewards the model that agreed *less*): Bayesian model
 * averaging. Each registered model's probability for a hole is σ(score); its weight on this grid is proportional to
 * the likelihood of the qualities revealed so far under that model, Π q·p + (1 − q)(1 − p), starting from equal
 * weights. P(good) of a hole is the weighted mean of the models that scored it (0.5 when none did).
 */
export class ModelWeightingAuthority implements DecisionAuthority {
  readonly name = 'model-weighting';
  private readonly grid: DecisionGrid;

  constructor(grid: DecisionGrid) {
    this.grid = grid;
  }

  /** Current normalised weight per model name. */
  weights(): Record<string, number> {
    const { grid } = this;
    const logLik = grid.modelNames.map((_, m) => {
      let ll = 0;
      for (let h = 0; h < grid.holeCount; h++) {
        const q = grid.observed[h];
        const s = grid.scores[m][h];
        if (Number.isNaN(q) || Number.isNaN(s)) continue;
        const p = Math.min(1 - P_FLOOR, Math.max(P_FLOOR, sigmoid(s)));
        ll += Math.log(q * p + (1 - q) * (1 - p));
      }
      return ll;
    });
    const top = Math.max(...logLik);
    const raw = logLik.map((l) => Math.exp(l - top));
    const total = raw.reduce((a, b) => a + b, 0);
    return Object.fromEntries(grid.modelNames.map((name, m) => [name, raw[m] / total]));
  }

  estimate(): Float64Array {
    const { grid } = this;
    const w = grid.modelNames.map((name) => this.weights()[name]);
    const out = new Float64Array(grid.holeCount).fill(0.5);
    for (let h = 0; h < grid.holeCount; h++) {
      let sum = 0;
      let mass = 0;
      grid.scores.forEach((scores, m) => {
        if (Number.isNaN(scores[h])) return;
        sum += w[m] * sigmoid(scores[h]);
        mass += w[m];
      });
      if (mass > 0) out[h] = sum / mass;
    }
    return out;
  }
}
