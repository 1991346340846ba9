import type { Rng } from '@smartem/common/rng';

/**
 * A decision authority turns what a grid has revealed into P(good) for every foil hole. The planner (planner.ts)
 * turns those probabilities into the cost-aware acquisition order, so authorities are swappable per grid without
 * touching anything else. Authorities keep per-grid state (warm starts), so create one per grid.
 */
export interface DecisionAuthority {
  readonly name: string;
  /**
   * Refresh from the grid and return P(good) per hole (index = hole index). With `explore`, the values are one
   * posterior draw (Thompson sampling) instead of the posterior mean, which is how the planner explores.
   */
  estimate(options?: { explore?: Rng }): Float64Array;
  /**
   * Optional: per hole, the posterior variance (log-odds) of what the hole shares with the rest of its foil-hole
   * group, i.e. how much revealing one of its holes would teach about the others. Gives the planner the value of
   * probing a group; authorities that do not learn omit it.
   */
  groupUncertainty?(): Float64Array;
  /**
   * Optional: per square, P(good) expected of a hole of it before anything of the square is known (what a square
   * whose holes are not found yet is worth). Authorities without a square-level model omit it.
   */
  squarePrior?(): Float64Array;
}

export type AuthorityName = 'random-mock' | 'model-weighting' | 'online-learner';

export const AUTHORITY_NAMES: readonly AuthorityName[] = ['random-mock', 'model-weighting', 'online-learner'];

export function isAuthorityName(name: string): name is AuthorityName {
  return (AUTHORITY_NAMES as readonly string[]).includes(name);
}
