import type { DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { sigmoid, solve } from './math.ts';
import { normal, type Rng } from './rng.ts';

/**
 * The online learner: a hierarchical logistic model of P(good) fitted only to what this session has revealed,
 *
 *   logit P(good | hole h) = α + Σ_m (β_m·s_m(h) + β⁻_m·min(0, s_m(h)) + κ_m·mean s_m(group of h)) + γ·hint(square)
 *                            + δ·[EPU deselected h] + Σ_k η_k·z_k(h) + u_tile(h) + u_square(h) + u_group(h) + u_cell(h),
 *
 * (z_k: other hints such as EPU's position quality, standardised over the grid, direction learned), with Gaussian
 * random effects per level (u ~ N(0, τ_level²)) so an unseen group starts at its square's estimate,
 * an unseen square at its tile's, and each level moves away from its parent as its own holes are revealed
 * (partial pooling, like hierarchical empirical Bayes); the cell (the hole's position quadrant in its group) lets
 * neighbouring holes inform each other beyond the group. The β's learn each prediction model's calibration on this
 * grid (β⁻_m: how much steeper or flatter below the model's own threshold); the random effects learn where the models
 * are wrong. κ_m is the contextual (within/between) effect of
 * multilevel models: a model's scores can rank holes within a group with one slope (β) and tell groups apart with
 * another (β + κ) — averaging a group's scores cancels per-hole noise, while a per-patch bias does not cancel — and
 * κ is learned from the grid with a neutral prior (κ = 0 is the plain per-hole calibration). The group mean is over
 * all of the group's holes, known before any result. τ² per level is re-estimated from the data (EM step),
 * so how strongly neighbours inform each other is learned rather than tuned. Fitted by MAP with warm-started
 * Newton passes (milliseconds per result); the Laplace posterior variances give the Thompson draws for exploration.
 */

/** Prior of each fixed effect: mean and standard deviation. Scores are log-odds-like, so a calibrated model has β = 1. */
const INTERCEPT_PRIOR = { mean: 0, sd: 2 };
const MODEL_SLOPE_PRIOR = { mean: 1, sd: 1 };
/** Contextual effect of a model's group-mean score: neutral (0), as uncertain as the slope itself. */
const MODEL_CONTEXT_PRIOR = { mean: 0, sd: 1 };
/**
 * Change of a model's slope below its own threshold (score 0): "predicted bad" can be more or less reliable than
 * "predicted good", so the link is piecewise linear with its knot there; neutral (0: one straight line).
 */
const MODEL_BELOW_THRESHOLD_PRIOR = { mean: 0, sd: 1 };
const HINT_SLOPE_PRIOR = { mean: 1, sd: 1 };
const DESELECTED_PRIOR = { mean: -1, sd: 1 };
/** Hints of unknown direction (standardised): no prior lean, learned from the grid. */
const HINT_PRIOR = { mean: 0, sd: 1 };
/** Inverse-gamma-like prior on each level's τ²: worth TAU_PRIOR_NODES nodes of variance TAU_PRIOR_VAR. */
const TAU_PRIOR_VAR = 1;
const TAU_PRIOR_NODES = 2;
const LEVELS = 4; // tile, square, group, cell (position quadrant within the group)
/** Levels shared by every hole of a group (tile, square, group). */
const SHARED_LEVELS = 3;
/** Largest change of one coefficient per Newton pass (log-odds). */
const MAX_STEP = 2;

/** Per foil-hole group, the mean of a model's scores over the group's holes that have one (0 when none has). */
function groupMeanScores(grid: DecisionGrid, scores: Float64Array): Float64Array {
  return Float64Array.from(grid.groupHoles, (holes) => {
    let sum = 0;
    let n = 0;
    for (const h of holes) {
      if (Number.isNaN(scores[h])) continue;
      sum += scores[h];
      n++;
    }
    return n > 0 ? sum / n : 0;
  });
}

function clamp(step: number, limit: number): number {
  return Number.isFinite(step) ? Math.max(-limit, Math.min(limit, step)) : 0;
}

export interface OnlineLearnerOptions {
  /** Newton passes per refresh after a change (warm start). */
  passes?: number;
}

export class OnlineLearnerAuthority implements DecisionAuthority {
  readonly name = 'online-learner';
  private readonly grid: DecisionGrid;
  private readonly passes: number;
  /** Fixed-effect feature columns: 'intercept', one per model, optional 'hint' and 'deselected'. */
  /** Fixed-effect feature columns (features[j][h]), computed once: they depend only on the grid's static data. */
  private readonly features: Float64Array[] = [];
  private readonly prior: Array<{ mean: number; sd: number }> = [];
  /** Feature index of each model's per-hole slope β_m (its contextual effect κ_m follows it, then β⁻_m). */
  private readonly modelSlope: number[] = [];
  private beta: number[];
  private betaVar: number[];
  private readonly u: Float64Array[];
  private readonly uVar: Float64Array[];
  private readonly nodeOf: Int32Array[];
  /** Σ p(1 − p) over each node's revealed holes at the last fit: the information its own data carry. */
  private readonly dataPrecision: Float64Array[];
  readonly tau2 = [TAU_PRIOR_VAR, TAU_PRIOR_VAR, TAU_PRIOR_VAR, TAU_PRIOR_VAR];
  private fittedVersion = -1;

  constructor(grid: DecisionGrid, options: OnlineLearnerOptions = {}) {
    this.grid = grid;
    this.passes = options.passes ?? 2;
    this.addFeature(() => 1, INTERCEPT_PRIOR);
    grid.scores.forEach((scores) => {
      this.modelSlope.push(this.features.length);
      this.addFeature((h) => (Number.isNaN(scores[h]) ? 0 : scores[h]), MODEL_SLOPE_PRIOR);
      const groupMean = groupMeanScores(grid, scores);
      this.addFeature((h) => groupMean[grid.holeGroup[h]], MODEL_CONTEXT_PRIOR);
      this.addFeature((h) => (Number.isNaN(scores[h]) ? 0 : Math.min(0, scores[h])), MODEL_BELOW_THRESHOLD_PRIOR);
    });
    if (grid.squareHint.some((v) => v !== 0)) this.addFeature((h) => grid.squareHint[grid.holeSquare[h]], HINT_SLOPE_PRIOR);
    if (grid.epuSelected.some((v) => v === 0)) this.addFeature((h) => (grid.epuSelected[h] === 0 ? 1 : 0), DESELECTED_PRIOR);
    for (const values of grid.hints) {
      const present = Array.from(values).filter(Number.isFinite);
      if (present.length < 2) continue;
      const mean = present.reduce((a, b) => a + b, 0) / present.length;
      const sd = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length);
      if (!(sd > 0)) continue;
      // Standardised over the grid; a missing value sits at the mean.
      this.addFeature((h) => (Number.isFinite(values[h]) ? (values[h] - mean) / sd : 0), HINT_PRIOR);
    }
    this.beta = this.prior.map((p) => p.mean);
    this.betaVar = this.prior.map((p) => p.sd * p.sd);
    this.nodeOf = [grid.holeTile, grid.holeSquare, grid.holeGroup, grid.holeCell];
    const sizes = [grid.tileIds.length, grid.squareIds.length, grid.groupIds.length, grid.cellCount];
    this.u = sizes.map((n) => new Float64Array(n));
    this.uVar = sizes.map((n, l) => new Float64Array(n).fill(this.tau2[l]));
    this.dataPrecision = sizes.map((n) => new Float64Array(n));
  }

  private addFeature(f: (h: number) => number, prior: { mean: number; sd: number }): void {
    this.features.push(Float64Array.from(this.grid.holeGroup, (_, h) => f(h)));
    this.prior.push(prior);
  }

  /** The fitted calibration: slope per model (1 = the model's scores are calibrated log-odds on this grid). */
  calibration(): Record<string, number> {
    return Object.fromEntries(this.grid.modelNames.map((m, i) => [m, this.beta[this.modelSlope[i]]]));
  }

  /** The fitted contextual effect per model: how much more (or less) its group-mean score says than its per-hole score. */
  groupContext(): Record<string, number> {
    return Object.fromEntries(this.grid.modelNames.map((m, i) => [m, this.beta[this.modelSlope[i] + 1]]));
  }

  estimate(options: { explore?: Rng } = {}): Float64Array {
    if (this.fittedVersion !== this.grid.version) this.fit();
    const { grid } = this;
    const rng = options.explore;
    const beta = rng ? this.beta.map((b, j) => b + Math.sqrt(this.betaVar[j]) * normal(rng)) : this.beta;
    const u = rng ? this.u.map((level, l) => level.map((v, i) => v + Math.sqrt(this.uVar[l][i]) * normal(rng))) : this.u;
    const out = new Float64Array(grid.holeCount);
    for (let h = 0; h < grid.holeCount; h++) {
      let eta = 0;
      for (let j = 0; j < beta.length; j++) eta += beta[j] * this.features[j][h];
      for (let l = 0; l < LEVELS; l++) eta += u[l][this.nodeOf[l][h]];
      out[h] = sigmoid(eta);
    }
    return out;
  }

  /**
   * Posterior variance of each hole's shared group log-odds, propagated down the hierarchy (each level's data
   * precision added to the prior it inherits from its parent), so nested levels explaining the same holes are not
   * counted twice.
   */
  groupUncertainty(): Float64Array {
    if (this.fittedVersion !== this.grid.version) this.fit();
    return Float64Array.from(this.grid.holeGroup, (_, h) => {
      let v = this.betaVar[0];
      for (let l = 0; l < SHARED_LEVELS; l++) v = 1 / (this.dataPrecision[l][this.nodeOf[l][h]] + 1 / (this.tau2[l] + v));
      return v;
    });
  }

  private fit(): void {
    const { grid } = this;
    const obs: number[] = [];
    for (let h = 0; h < grid.holeCount; h++) if (!Number.isNaN(grid.observed[h])) obs.push(h);
    const passes = this.fittedVersion < 0 ? this.passes + 3 : this.passes;
    this.fittedVersion = grid.version;
    if (obs.length === 0) return;
    const y = obs.map((h) => grid.observed[h]);
    const x = obs.map((h) => this.features.map((column) => column[h]));
    const eta = new Float64Array(obs.length);
    const refresh = (): void => {
      obs.forEach((h, i) => {
        let e = 0;
        for (let j = 0; j < this.beta.length; j++) e += this.beta[j] * x[i][j];
        for (let l = 0; l < LEVELS; l++) e += this.u[l][this.nodeOf[l][h]];
        eta[i] = e;
      });
    };
    for (let pass = 0; pass < passes; pass++) {
      refresh();
      this.fixedEffectsStep(x, y, eta);
      refresh();
      for (let l = 0; l < LEVELS; l++) {
        this.randomEffectsStep(l, obs, y, eta);
        refresh();
      }
    }
    this.updateTau(obs);
  }

  /** One Newton step on the fixed effects with their Gaussian priors. */
  private fixedEffectsStep(x: number[][], y: number[], eta: Float64Array): void {
    const d = this.beta.length;
    const grad = this.beta.map((b, j) => -(b - this.prior[j].mean) / this.prior[j].sd ** 2);
    const hess = this.beta.map((_, j) => this.beta.map((__, k) => (j === k ? 1 / this.prior[j].sd ** 2 : 0)));
    for (let i = 0; i < y.length; i++) {
      const p = sigmoid(eta[i]);
      const w = p * (1 - p);
      for (let j = 0; j < d; j++) {
        grad[j] += (y[i] - p) * x[i][j];
        for (let k = 0; k < d; k++) hess[j][k] += w * x[i][j] * x[i][k];
      }
    }
    const step = solve(hess, grad);
    // Newton on a logistic likelihood can overshoot from a cold start; a bounded step keeps the passes stable.
    this.beta = this.beta.map((b, j) => b + clamp(step[j], MAX_STEP));
    this.betaVar = hess.map((row, j) => 1 / row[j]);
  }

  /** One Newton step per node of level l (nodes are independent given the rest). */
  private randomEffectsStep(l: number, obs: number[], y: number[], eta: Float64Array): void {
    const u = this.u[l];
    const grad = new Float64Array(u.length);
    const hess = new Float64Array(u.length);
    const seen = new Uint8Array(u.length);
    obs.forEach((h, i) => {
      const node = this.nodeOf[l][h];
      const p = sigmoid(eta[i]);
      grad[node] += y[i] - p;
      hess[node] += p * (1 - p);
      seen[node] = 1;
    });
    this.dataPrecision[l].set(hess);
    const precision = 1 / this.tau2[l];
    for (let n = 0; n < u.length; n++) {
      if (!seen[n]) {
        u[n] = 0;
        this.uVar[l][n] = this.tau2[l];
        continue;
      }
      const h = hess[n] + precision;
      u[n] += clamp((grad[n] - u[n] * precision) / h, MAX_STEP);
      this.uVar[l][n] = 1 / h;
    }
  }

  /** EM update of each level's variance from the nodes that have data, with a weak prior. */
  private updateTau(obs: number[]): void {
    for (let l = 0; l < LEVELS; l++) {
      const seen = new Set<number>();
      for (const h of obs) seen.add(this.nodeOf[l][h]);
      let ss = TAU_PRIOR_NODES * TAU_PRIOR_VAR;
      for (const n of seen) ss += this.u[l][n] ** 2 + this.uVar[l][n];
      this.tau2[l] = ss / (seen.size + TAU_PRIOR_NODES);
    }
  }
}
