import type { AuthorityName, DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { ModelWeightingAuthority } from './model-weighting.ts';
import { OnlineLearnerAuthority, type OnlineLearnerOptions } from './online-learner.ts';
import { RandomMockAuthority } from './random-mock.ts';

export type { AuthorityName, DecisionAuthority } from './authority.ts';
export { AUTHORITY_NAMES, isAuthorityName } from './authority.ts';
export { DecisionGrid } from './grid-model.ts';
export type { GridInput, HoleInput, SquareInput } from './grid-model.ts';
export { DEFAULT_COSTS } from './costs.ts';
export type { MoveCosts } from './costs.ts';
export { nextHole, rankHoles, rankSquares, type HoleSuggestion, type SquareSuggestion } from './planner.ts';
export {
  epuRankOf,
  holeSelections,
  inRecommendedOrder,
  recommend,
  squareOrder,
  type Recommendations,
} from './recommendations.ts';
export { OnlineLearnerAuthority, type OnlineLearnerOptions, type WithinGroup } from './online-learner.ts';
export { ModelWeightingAuthority } from './model-weighting.ts';
export {
  ctfMargin,
  ctfMarginFloor,
  DEFAULT_QUALITY,
  holeQuality,
  micrographQuality,
  RunningStats,
  type Metric,
  type QualityConfig,
  type QualityVerdict,
} from './quality.ts';
export { logit, sigmoid } from './math.ts';
export { squareEstimates, type SquareEstimate } from './square-estimates.ts';
export { epuHints, squareHint } from './epu-hints.ts';
export { runBench, type BenchOptions } from './bench/run.ts';

/** The authority registry: one per grid, chosen by name, swappable without touching the rest. */
export function createAuthority(name: AuthorityName, grid: DecisionGrid, learner: OnlineLearnerOptions = {}): DecisionAuthority {
  switch (name) {
    case 'random-mock':
      return new RandomMockAuthority(grid);
    case 'model-weighting':
      return new ModelWeightingAuthority(grid);
    case 'online-learner':
      return new OnlineLearnerAuthority(grid, learner);
  }
}
export { enginePolicy, PREDICTION_MODEL, predictionScore } from './bench/engine-policy.ts';
export { runPolicies } from './bench/policies.ts';
export { epuPolicy, type EpuFollowing } from './bench/epu-policy.ts';
