import type { DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { sigmoid, solve } from './math.ts';
import { normal, type Rng } from '@smartem/common/rng';

/**
 * The online learner: a hierarchical logistic model of P(good) fitted only to what this session has revealed,
 *
 *   logit P(good | hole h) = α + Σ_m (β_m·s_m(h) + β⁻_m·min(0, s_m(h)) + κ_m·mean s_m(group of h)) + γ·hint(square)
 *                            + δ·[EPU deselected h] + Σ_k η_k·z_k(h) + u_tile(h) + u_square(h) + u_group(h)
 *                            + b_x,group(h)·x̃(h) + b_y,group(h)·ỹ(h),
 *
 * (z_k: other hints such as EPU's position quality, standardised over the grid, direction learned), with Gaussian
 * random effects per level (u ~ N(0, τ_level²)) so an unseen group starts at its square's estimate,
 * an unseen square at its tile's, and each level moves away from its parent as its own holes are revealed
 * (partial pooling, like hierarchical empirical Bayes); the random slopes b_x, b_y of the hole's position within its
 * group (x̃, ỹ: centred on the group, in units of its radius; one shared variance) are a gradient across the group —
 * ice thickness changes smoothly across a patch — so holes on the side of the good results rise and those on the
 * other side fall (option `withinGroup: 'quadrant'`: a random effect per position quadrant instead). The β's learn
 * each prediction model's calibration on this grid (β⁻_m: how much steeper or flatter below the model's own
 * threshold); the random effects learn where the models are wrong. κ_m is the contextual (within/between) effect of
 * multilevel models: a model's scores can rank holes within a group with one slope (β) and tell groups apart with
 * another (β + κ) — averaging a group's scores cancels per-hole noise, while a per-patch bias does not cancel — and
 * κ is learned from the grid with a neutral prior (κ = 0 is the plain per-hole calibration). The group mean is over
 * all of the group's holes, known before any result. τ² per level is re-estimated from the data (EM step),
 * so how strongly neighbours inform each other is learned rather than tuned. Fitted by MAP with warm-started
 * Newton passes (milliseconds per result); the Laplace posterior variances give the Thompson draws for exploration.
 */

/**
 * Prior of each fixed effect: mean and standard deviation. Scores are log-odds-like, so a calibrated model has β = 1.
 * The intercept (the grid's mean log-odds) is held closer than the squares' spread (`TAU_PRIOR_VAR`): a grid's share
 * of good holes lies between 0.12 and 0.88 at 95 %, while squares of one grid differ more (on the CryoRL grid, their
 * log-odds of a good hole spread with a variance of about 3). With the intercept as loose as the squares, the first
 * square's bad results lowered the grid as much as the square, and every square not visited looked just as bad.
 */
const INTERCEPT_PRIOR = { mean: 0, sd: 1 };
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
/**
 * Inverse-gamma-like prior on each level's τ²: worth TAU_PRIOR_NODES nodes of variance TAU_PRIOR_VAR[level] (tile,
 * square, group; the within-group gradients 1). Tile and square together spread as much as the CryoRL grid's squares.
 */
const TAU_PRIOR_VAR = [1, 2, 1];
const TAU_PRIOR_NODES = 2;
function tauPrior(level: number): number {
  return TAU_PRIOR_VAR[level] ?? 1;
}
/** Levels shared by every hole of a group (tile, square, group). */
const SHARED_LEVELS = 3;
/** Largest change of one coefficient per Newton pass (log-odds). */
const MAX_STEP = 2;
/** Step halvings at most before a Newton step is taken as it is (2⁻⁸ of it). */
const MAX_HALVINGS = 8;
/**
 * Prior of the cut between "bad" and "at the margin floor" on the latent log-odds: the floor's margin read on the
 * prediction scores' log-odds-like scale, within a factor e² either way (sd 1 on its log).
 */
const FLOOR_CUT_PRIOR_LOG_SD = 1;

/**
 * How a revealed hole enters the likelihood, as an ordered category of its margin: its quality only (good, no
 * margin, or a quality decided by something else too), bad but above the margin floor, or bad at the floor.
 */
const BINARY = 0;
const BAD = 1;
const AT_FLOOR = 2;

/**
 * A margin is used when it agrees with the hole's quality (good ⇔ margin ≥ 0); when the quality was decided by
 * something else too (motion, particles, a mixed hole), only the quality is. Only bad margins are split, at the
 * floor: see `likelihoodTerms` for why the margin is used as an ordered category rather than a number.
 */
function marginKind(grid: DecisionGrid, h: number, useMargins: boolean): number {
  const m = grid.margin[h];
  if (!useMargins || Number.isNaN(m) || !Number.isFinite(grid.marginFloor) || grid.observed[h] !== 0 || !(m < 0)) return BINARY;
  return m <= grid.marginFloor ? AT_FLOOR : BAD;
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

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
  /**
   * Also learn from the revealed margins (the grid's `margin`, as ordered categories: bad, or bad at the margin
   * floor). Off by default: on the benchmark grids it gained nothing with predictions and lost holes without them
   * (docs/decisions.md).
   */
  margins?: boolean;
  /**
   * How holes of one foil-hole group inform each other beyond the group's shared effect: `gradient` (default) a
   * random linear gradient across the group (random slopes in x and y with one shared variance: ice thickness
   * changes smoothly across a patch); `quadrant` a random effect per position quadrant of the group (the default
   * until 2026-11-24; docs/decisions.md compares the two).
   */
  withinGroup?: WithinGroup;
}

export type WithinGroup = 'quadrant' | 'gradient';

export class OnlineLearnerAuthority implements DecisionAuthority {
  readonly name = 'online-learner';
  private readonly grid: DecisionGrid;
  private readonly passes: number;
  private readonly useMargins: boolean;
  /** Fixed-effect feature columns: 'intercept', one per model, optional 'hint' and 'deselected'. */
  /** Fixed-effect feature columns (features[j][h]), computed once: they depend only on the grid's static data. */
  private readonly features: Float64Array[] = [];
  private readonly prior: Array<{ mean: number; sd: number }> = [];
  /** Each feature's value for a hole of a square none of whose holes is known (no scores, hints at their mean). */
  private readonly unseenValue: Array<(square: number) => number> = [];
  /** Feature index of each model's per-hole slope β_m (its contextual effect κ_m follows it, then β⁻_m). */
  private readonly modelSlope: number[] = [];
  private beta: number[];
  private betaVar: number[];
  private readonly u: Float64Array[];
  private readonly uVar: Float64Array[];
  private readonly nodeOf: Int32Array[];
  /** Σ p(1 − p) over each node's revealed holes at the last fit: the information its own data carry. */
  private readonly dataPrecision: Float64Array[];
  /** Each level's variance τ² (levels that share one hold the same value). */
  readonly tau2: number[];
  /** Per level, each hole's multiplier of its node's effect (undefined: 1, a random intercept; else a random slope). */
  private readonly zOf: Array<Float64Array | undefined>;
  /** Levels that share one variance (the x and y slopes of a group gradient): level → the level whose data it pools with. */
  private readonly tauOf: number[];
  private readonly levels: number;
  /** Cut θ < 0 on the latent log-odds below which a bad hole's margin is at the floor, learned from the grid. */
  floorCut: number;
  private fittedVersion = -1;

  constructor(grid: DecisionGrid, options: OnlineLearnerOptions = {}) {
    this.grid = grid;
    this.passes = options.passes ?? 2;
    this.useMargins = options.margins ?? false;
    this.addFeature(
      () => 1,
      INTERCEPT_PRIOR,
      () => 1,
    );
    grid.scores.forEach((scores) => {
      this.modelSlope.push(this.features.length);
      this.addFeature((h) => (Number.isNaN(scores[h]) ? 0 : scores[h]), MODEL_SLOPE_PRIOR);
      const groupMean = groupMeanScores(grid, scores);
      this.addFeature((h) => groupMean[grid.holeGroup[h]], MODEL_CONTEXT_PRIOR);
      this.addFeature((h) => (Number.isNaN(scores[h]) ? 0 : Math.min(0, scores[h])), MODEL_BELOW_THRESHOLD_PRIOR);
    });
    if (grid.squareHint.some((v) => v !== 0))
      this.addFeature(
        (h) => grid.squareHint[grid.holeSquare[h]],
        HINT_SLOPE_PRIOR,
        (s) => grid.squareHint[s],
      );
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
    this.floorCut = Number.isFinite(grid.marginFloor) ? Math.min(-1e-3, grid.marginFloor) : -Infinity;
    this.beta = this.prior.map((p) => p.mean);
    this.betaVar = this.prior.map((p) => p.sd * p.sd);
    this.nodeOf = [grid.holeTile, grid.holeSquare, grid.holeGroup];
    const sizes = [grid.tileIds.length, grid.squareIds.length, grid.groupIds.length];
    this.zOf = [undefined, undefined, undefined];
    this.tauOf = [0, 1, 2];
    if (options.withinGroup === 'quadrant') {
      this.nodeOf.push(grid.holeCell);
      sizes.push(grid.cellCount);
      this.zOf.push(undefined);
      this.tauOf.push(this.tauOf.length);
    } else {
      const shared = this.tauOf.length;
      for (const z of [grid.groupX, grid.groupY]) {
        this.nodeOf.push(grid.holeGroup);
        sizes.push(grid.groupIds.length);
        this.zOf.push(z);
        this.tauOf.push(shared);
      }
    }
    this.levels = this.nodeOf.length;
    this.tau2 = sizes.map((_, l) => tauPrior(l));
    this.u = sizes.map((n) => new Float64Array(n));
    this.uVar = sizes.map((n, l) => new Float64Array(n).fill(tauPrior(l)));
    this.dataPrecision = sizes.map((n) => new Float64Array(n));
  }

  private addFeature(f: (h: number) => number, prior: { mean: number; sd: number }, unseen: (square: number) => number = () => 0): void {
    this.features.push(Float64Array.from(this.grid.holeGroup, (_, h) => f(h)));
    this.prior.push(prior);
    this.unseenValue.push(unseen);
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
      for (let l = 0; l < this.levels; l++) eta += u[l][this.nodeOf[l][h]] * (this.zOf[l]?.[h] ?? 1);
      out[h] = sigmoid(eta);
    }
    return out;
  }

  /**
   * Per square, P(good) of a hole of it that nothing is known about yet — no model score, other hints at the grid's
   * mean, its own group not seen: the fitted intercept and square hint with the square's tile and square effects.
   * For a square whose holes are not found yet, this is what the learner expects of them.
   */
  squarePrior(): Float64Array {
    if (this.fittedVersion !== this.grid.version) this.fit();
    const { grid } = this;
    return Float64Array.from(grid.squareIds, (_, s) => {
      let eta = 0;
      for (let j = 0; j < this.beta.length; j++) eta += this.beta[j] * this.unseenValue[j](s);
      eta += this.u[0][grid.squareTile[s]] + this.u[1][s];
      return sigmoid(eta);
    });
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
    const kind = Int8Array.from(obs, (h) => marginKind(grid, h, this.useMargins));
    const x = obs.map((h) => this.features.map((column) => column[h]));
    const eta = new Float64Array(obs.length);
    const grad = new Float64Array(obs.length);
    const weight = new Float64Array(obs.length);
    const refresh = (): void => {
      obs.forEach((h, i) => {
        let e = 0;
        for (let j = 0; j < this.beta.length; j++) e += this.beta[j] * x[i][j];
        for (let l = 0; l < this.levels; l++) e += this.u[l][this.nodeOf[l][h]] * (this.zOf[l]?.[h] ?? 1);
        eta[i] = e;
      });
      this.likelihoodTerms(obs, y, kind, eta, grad, weight);
    };
    const logLik = (i: number, e: number): number => this.logLikelihood(y[i], kind[i], e);
    for (let pass = 0; pass < passes; pass++) {
      refresh();
      this.fixedEffectsStep(x, grad, weight, eta, logLik);
      refresh();
      for (let l = 0; l < this.levels; l++) {
        this.randomEffectsStep(l, obs, grad, weight, eta, logLik);
        refresh();
      }
    }
    this.updateTau(obs);
    if (kind.some((k) => k !== BINARY)) this.updateFloorCut(obs, kind, eta);
  }

  /**
   * Per observation, the gradient of its log-likelihood in its linear predictor η and its negative second derivative.
   * The model is ordinal (cumulative logit): the hole's latent quality η + ε (ε standard logistic) is ≥ 0 when it is
   * good, in [θ, 0) when it is bad above the margin floor, < θ when at the floor. A quality alone is Bernoulli
   * (y − p, p(1 − p)); bad above the floor is σ(η − θ) − σ(η) (gradient 1 − σ(η − θ) − σ(η)); at the floor σ(θ − η).
   * The margin is used as this ordered category, not as a number: in the EMinsight session (shared/decision-data), how
   * far a bad micrograph missed a 4 or 5 Å limit did not order how often its foil hole's other micrographs were good,
   * while a failed fit did (0.20 against 0.4–0.7 at 4 Å); and a linear model of the margin in Å (a continuous logistic
   * latent) lost holes on every grid with real CTF values (docs/decisions.md).
   */
  private likelihoodTerms(obs: number[], y: number[], kind: Int8Array, eta: Float64Array, grad: Float64Array, weight: Float64Array): void {
    for (let i = 0; i < obs.length; i++) {
      if (kind[i] === BINARY) {
        const p = sigmoid(eta[i]);
        grad[i] = y[i] - p;
        weight[i] = p * (1 - p);
      } else if (kind[i] === BAD) {
        const a = sigmoid(eta[i] - this.floorCut);
        const b = sigmoid(eta[i]);
        grad[i] = 1 - a - b;
        weight[i] = a * (1 - a) + b * (1 - b);
      } else {
        const q = sigmoid(eta[i] - this.floorCut);
        grad[i] = -q;
        weight[i] = q * (1 - q);
      }
    }
  }

  /** Log-likelihood of one revealed hole at linear predictor e (the terms of `likelihoodTerms`), with cut θ. */
  private logLikelihood(y: number, kind: number, e: number, cut = this.floorCut): number {
    if (kind === BINARY) return y * logSigmoid(e) + (1 - y) * logSigmoid(-e);
    if (kind === BAD) return Math.log(Math.max(1e-300, sigmoid(e - cut) - sigmoid(e)));
    return logSigmoid(cut - e);
  }

  /**
   * Maximum a posteriori cut θ given the current fit: a golden-section search on log(−θ), prior
   * N(log(−floor), FLOOR_CUT_PRIOR_LOG_SD²) (the floor's margin read as log-odds, like the prediction scores).
   */
  private updateFloorCut(obs: number[], kind: Int8Array, eta: Float64Array): void {
    const priorMean = Math.log(-Math.min(-1e-3, this.grid.marginFloor));
    const logPosterior = (logCut: number): number => {
      const cut = -Math.exp(logCut);
      let lp = -0.5 * ((logCut - priorMean) / FLOOR_CUT_PRIOR_LOG_SD) ** 2;
      for (let i = 0; i < obs.length; i++) if (kind[i] !== BINARY) lp += this.logLikelihood(0, kind[i], eta[i], cut);
      return lp;
    };
    const ratio = (Math.sqrt(5) - 1) / 2;
    let lo = Math.log(-this.floorCut) - 1;
    let hi = Math.log(-this.floorCut) + 1;
    let a = hi - ratio * (hi - lo);
    let b = lo + ratio * (hi - lo);
    let fa = logPosterior(a);
    let fb = logPosterior(b);
    for (let it = 0; it < 20; it++) {
      if (fa > fb) {
        hi = b;
        b = a;
        fb = fa;
        a = hi - ratio * (hi - lo);
        fa = logPosterior(a);
      } else {
        lo = a;
        a = b;
        fa = fb;
        b = lo + ratio * (hi - lo);
        fb = logPosterior(b);
      }
    }
    this.floorCut = -Math.exp((lo + hi) / 2);
  }

  /**
   * One Newton step on the fixed effects with their Gaussian priors, halved until the log posterior does not decrease:
   * a full step can overshoot where the likelihood's curvature vanishes (early, when the few results seem to
   * separate perfectly) and then oscillate instead of reaching the MAP.
   */
  private fixedEffectsStep(
    x: number[][],
    g: Float64Array,
    w: Float64Array,
    eta: Float64Array,
    logLik: (i: number, e: number) => number,
  ): void {
    const d = this.beta.length;
    const grad = this.beta.map((b, j) => -(b - this.prior[j].mean) / this.prior[j].sd ** 2);
    const hess = this.beta.map((_, j) => this.beta.map((__, k) => (j === k ? 1 / this.prior[j].sd ** 2 : 0)));
    for (let i = 0; i < g.length; i++) {
      for (let j = 0; j < d; j++) {
        grad[j] += g[i] * x[i][j];
        for (let k = 0; k < d; k++) hess[j][k] += w[i] * x[i][j] * x[i][k];
      }
    }
    const step = solve(hess, grad).map((v) => clamp(v, MAX_STEP));
    const objective = (t: number): number => {
      let lp = 0;
      for (let j = 0; j < d; j++) lp -= (this.beta[j] + t * step[j] - this.prior[j].mean) ** 2 / (2 * this.prior[j].sd ** 2);
      for (let i = 0; i < eta.length; i++) {
        let delta = 0;
        for (let j = 0; j < d; j++) delta += step[j] * x[i][j];
        lp += logLik(i, eta[i] + t * delta);
      }
      return lp;
    };
    const current = objective(0);
    let t = 1;
    for (let halvings = 0; halvings < MAX_HALVINGS && objective(t) < current; halvings++) t /= 2;
    this.beta = this.beta.map((b, j) => b + t * step[j]);
    this.betaVar = hess.map((row, j) => 1 / row[j]);
  }

  /** One Newton step per node of level l (nodes are independent given the rest), halved per node like the fixed step. */
  private randomEffectsStep(
    l: number,
    obs: number[],
    g: Float64Array,
    w: Float64Array,
    eta: Float64Array,
    logLik: (i: number, e: number) => number,
  ): void {
    const u = this.u[l];
    const z = this.zOf[l];
    const grad = new Float64Array(u.length);
    const hess = new Float64Array(u.length);
    const seen = new Uint8Array(u.length);
    obs.forEach((h, i) => {
      const node = this.nodeOf[l][h];
      const zi = z ? z[h] : 1;
      grad[node] += g[i] * zi;
      hess[node] += w[i] * zi * zi;
      seen[node] = 1;
    });
    this.dataPrecision[l].set(hess);
    const tau2 = this.tau2[l];
    const precision = 1 / tau2;
    const step = new Float64Array(u.length);
    for (let n = 0; n < u.length; n++) {
      if (!seen[n]) {
        u[n] = 0;
        this.uVar[l][n] = tau2;
        continue;
      }
      const h = hess[n] + precision;
      step[n] = clamp((grad[n] - u[n] * precision) / h, MAX_STEP);
      this.uVar[l][n] = 1 / h;
    }
    // Per node, the log posterior at u + t·step for t = 0 and the current trial t; halve t where it decreased.
    const objective = (t: Float64Array): Float64Array => {
      const lp = Float64Array.from(u, (v, n) => (seen[n] ? (-((v + t[n] * step[n]) ** 2) * precision) / 2 : 0));
      obs.forEach((h, i) => {
        const n = this.nodeOf[l][h];
        lp[n] += logLik(i, eta[i] + t[n] * step[n] * (z ? z[h] : 1));
      });
      return lp;
    };
    const current = objective(new Float64Array(u.length));
    const t = new Float64Array(u.length).fill(1);
    for (let halvings = 0; halvings < MAX_HALVINGS; halvings++) {
      const trial = objective(t);
      let worse = false;
      for (let n = 0; n < u.length; n++) {
        if (seen[n] && trial[n] < current[n]) {
          t[n] /= 2;
          worse = true;
        }
      }
      if (!worse) break;
    }
    for (let n = 0; n < u.length; n++) if (seen[n]) u[n] += t[n] * step[n];
  }

  /** EM update of each level's variance from the nodes that have data, with a weak prior. */
  private updateTau(obs: number[]): void {
    const ss = this.tau2.map((_, l) => TAU_PRIOR_NODES * tauPrior(l));
    const count = this.tau2.map(() => TAU_PRIOR_NODES);
    for (let l = 0; l < this.levels; l++) {
      const seen = new Set<number>();
      for (const h of obs) seen.add(this.nodeOf[l][h]);
      const shared = this.tauOf[l];
      for (const n of seen) ss[shared] += this.u[l][n] ** 2 + this.uVar[l][n];
      count[shared] += seen.size;
    }
    for (let l = 0; l < this.levels; l++) this.tau2[l] = ss[this.tauOf[l]] / count[this.tauOf[l]];
  }
}
