import { createAuthority } from '../index.ts';
import type { AuthorityName } from '../authority.ts';
import type { WithinGroup } from '../online-learner.ts';
import { DecisionGrid, type GridInput } from '../grid-model.ts';
import { nextHole } from '../planner.ts';
import { ctfMargin, ctfMarginFloor } from '../quality.ts';
import type { BenchGrid, EpisodePolicy, PolicySpec } from './episode.ts';

export const PREDICTION_MODEL = 'cryorl-resnet50';

/** A predicted resolution r (Å) as a log-odds-like score, threshold − r: positive = predicted good. */
export function predictionScore(threshold: number, predicted: number): number {
  return threshold - predicted;
}

/** The live engine's input built from a benchmark grid: the same shape the backend builds from its database. */
export function gridInput(g: BenchGrid, withPredictions: boolean): GridInput {
  const { holes } = g.dataset;
  const squares = new Map<string, string>();
  for (const h of holes) squares.set(h.square, h.tile);
  return {
    marginFloor: ctfMarginFloor(g.threshold),
    squares: [...squares].map(([id, tile]) => ({ id, tile })),
    holes: holes.map((h) => ({
      id: h.id,
      square: h.square,
      group: h.group,
      x: h.x,
      y: h.y,
      predictions:
        withPredictions && h.predicted !== undefined ? { [PREDICTION_MODEL]: predictionScore(g.threshold, h.predicted) } : undefined,
    })),
  };
}

/**
 * How EPU collects, for an episode that is to be compared with the closed loop: a square it has left is never come
 * back to (its holes leave the plan), and each result is known only `feedbackDelayHoles` holes after its hole (the
 * hole leaves the plan at once).
 */
export interface EpuConstraints {
  feedbackDelayHoles: number;
}

/**
 * Drives the backend's decision code: a fresh DecisionGrid per episode, the named authority, the shared planner.
 * Holes keep their dataset order, so hole index = benchmark index. The benchmark knows the time left, so it passes
 * it as the planner's budget (live, the session's remaining time or the default horizon is used). With `epu`, the
 * episode keeps EPU's constraints and may end early, once no square it may still collect has holes left.
 */
export function enginePolicy(
  authority: AuthorityName,
  withPredictions: boolean,
  margins = false,
  withinGroup?: WithinGroup,
  epu?: EpuConstraints,
): PolicySpec {
  return {
    name: `${authority}${withPredictions ? '+predictions' : ''}${margins ? '+margins' : ''}${epu ? '+epu-constraints' : ''}`,
    needsPredictions: withPredictions,
    mayEndEarly: epu !== undefined,
    create(g: BenchGrid): EpisodePolicy {
      const grid = new DecisionGrid(gridInput(g, withPredictions));
      const engine = createAuthority(authority, grid, { margins, withinGroup });
      const results = delayedResults(grid, g.threshold, epu?.feedbackDelayHoles ?? 0);
      return {
        start: () => {},
        next: (current, _visited, budgetLeft) => {
          const p = engine.estimate();
          const next = nextHole(grid, p, current, { budgetLeft, uncertainty: engine.groupUncertainty?.() });
          const square = grid.holeSquare[current]!;
          if (epu && next >= 0 && grid.holeSquare[next] !== square) {
            for (const h of grid.squareHoles[square]!) grid.markAcquired(h);
            // Leaving may have been chosen on holes now out of reach: choose again among those still reachable.
            return nextHole(grid, engine.estimate(), current, { budgetLeft, uncertainty: engine.groupUncertainty?.() });
          }
          return next;
        },
        reveal: (hole, good, ctf) => {
          if (epu) grid.markAcquired(hole);
          results(hole, good, ctf);
        },
      };
    },
  };
}

/**
 * Reveals each result to the grid `delayHoles` results after it arrives (0: at once), as processing results reach the
 * live backend minutes after their micrograph. The protocol reveals the hole's true CTF: its margin (threshold − CTF,
 * bounded as live) goes in with it.
 */
export function delayedResults(
  grid: DecisionGrid,
  threshold: number,
  delayHoles: number,
): (hole: number, good: boolean, ctf: number) => void {
  const pending: Array<{ hole: number; good: boolean; ctf: number }> = [];
  return (hole, good, ctf) => {
    pending.push({ hole, good, ctf });
    while (pending.length > delayHoles) {
      const r = pending.shift()!;
      grid.observe(r.hole, r.good ? 1 : 0, ctfMargin([r.ctf], threshold));
    }
  };
}
