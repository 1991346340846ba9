import { greedyPredictionsPolicy, oraclePolicy, randomPolicy, systematicPolicy } from './baselines.ts';
import type { WithinGroup } from '../online-learner.ts';
import { enginePolicy } from './engine-policy.ts';
import { runEpisode, type BenchGrid, type EpisodeTrace, type PolicySpec } from './episode.ts';

export interface PolicyResult {
  mean: number;
  sd: number;
  fraction_of_oracle: number;
  runs: number[];
  /** Per episode: holes visited and time per kind of move. */
  traces: EpisodeTrace[];
}

/**
 * Baselines first, then our authorities (without predictions, then with them when the grid has predictions).
 * `scope: 'predictions'` keeps only what depends on the predictions (plus oracle), for degraded-prediction runs;
 * `'compact'` drops random and the random mock, for the generalisation grids. `margins` adds the learner that also
 * uses the revealed CTF margins; `withinGroup` the online learner's within-group structure (its default when omitted).
 */
export function benchPolicies(
  hasPredictions: boolean,
  scope: 'full' | 'compact' | 'predictions' = 'full',
  margins = false,
  withinGroup?: WithinGroup,
): PolicySpec[] {
  const learner = (withPredictions: boolean, withMargins = false) =>
    enginePolicy('online-learner', withPredictions, withMargins, withinGroup);
  const specs: PolicySpec[] = [];
  if (scope === 'full') specs.push(randomPolicy);
  if (scope !== 'predictions') specs.push(systematicPolicy);
  if (hasPredictions) specs.push(greedyPredictionsPolicy);
  specs.push(oraclePolicy);
  if (scope === 'full') specs.push(enginePolicy('random-mock', false));
  if (scope !== 'predictions') specs.push(learner(false));
  if (hasPredictions) specs.push(enginePolicy('model-weighting', true), learner(true));
  // The learner that also uses the revealed CTF margins (off by default), beside the default one.
  if (margins && scope !== 'predictions') specs.push(learner(false, true));
  if (margins && hasPredictions) specs.push(learner(true, true));
  return specs;
}

/** Every policy from the same starts (seeds 0 … starts − 1). */
export function runPolicies(g: BenchGrid, specs: PolicySpec[], budget: number, starts: number): Record<string, PolicyResult> {
  const out: Record<string, PolicyResult> = {};
  for (const spec of specs) {
    const traces: EpisodeTrace[] = [];
    const runs = Array.from({ length: starts }, (_, seed) => {
      const trace: EpisodeTrace = { visited: 0, timeByMove: {} };
      traces.push(trace);
      return runEpisode(g, spec, seed, budget, trace);
    });
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    const sd = runs.length > 1 ? Math.sqrt(runs.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs.length - 1)) : 0;
    out[spec.name] = { mean, sd, fraction_of_oracle: NaN, runs, traces };
  }
  const oracle = out[oraclePolicy.name]?.mean ?? NaN;
  for (const r of Object.values(out)) r.fraction_of_oracle = r.mean / oracle;
  return out;
}

/** Our authorities (the random mock is the original's reference point, not ours). */
export const OUR_POLICIES = ['online-learner', 'online-learner+predictions', 'model-weighting+predictions'];
