import type { AuthorityName } from '../authority.ts';
import { DecisionGrid } from '../grid-model.ts';
import { createAuthority } from '../index.ts';
import { recommend } from '../recommendations.ts';
import { delayedResults, gridInput } from './engine-policy.ts';
import type { BenchGrid, EpisodePolicy, PolicySpec } from './episode.ts';

/**
 * EPU in an offline episode, as the EPU simulator plays it: squares in EPU's own order (the dataset's square names,
 * from the episode's start square on, wrapping round), each square's holes in its raster (patch, then name), every
 * hole of a square before the next square, never back to a square left.
 *
 * With `follow`, EPU obeys SmartEM's recommendations computed by the backend's own code (`recommend`) from each
 * result `feedbackDelayHoles` holes after its hole, as the simulator does in the closed loop: before each square it
 * reads the square order and the skips, on entering a square its hole order and selection, and before each further
 * hole the latest selection. So the closed loop's rule is measured here in seconds, on any grid, without processes.
 */
export interface EpuFollowing {
  authority: AuthorityName;
  withPredictions: boolean;
  feedbackDelayHoles: number;
}

interface Plan {
  order: number[];
  skip: Set<number>;
}

export function epuPolicy(follow?: EpuFollowing): PolicySpec {
  return {
    name: follow ? `epu-following-${follow.authority}${follow.withPredictions ? '+predictions' : ''}` : 'epu-default',
    needsPredictions: follow?.withPredictions ?? false,
    mayEndEarly: true,
    create(g: BenchGrid): EpisodePolicy {
      const grid = new DecisionGrid(gridInput(g, follow?.withPredictions ?? false));
      const engine = follow ? createAuthority(follow.authority, grid) : undefined;
      const names = grid.squareIds.map((id, s) => ({ id, s })).sort((a, b) => cmp(a.id, b.id));
      const raster = grid.squareHoles.map((holes) =>
        [...holes].sort((a, b) => cmp(g.dataset.holes[a]!.group, g.dataset.holes[b]!.group) || cmp(grid.holeIds[a]!, grid.holeIds[b]!)),
      );
      const epuRank = new Int32Array(grid.squareIds.length);
      const left = new Set<number>();
      const plans = new Map<number, Plan>();
      const results = follow ? delayedResults(grid, g.threshold, follow.feedbackDelayHoles) : undefined;
      let epuOrder: number[] = [];
      let queue: number[] = [];
      let taken = 0;
      const enter = (square: number): void => {
        left.add(square);
        const plan = plans.get(square);
        const named = new Set(plan?.order ?? []);
        queue = [...(plan?.order ?? []), ...raster[square]!.filter((h) => !named.has(h))].filter((h) => !plan?.skip.has(h));
        taken = 0;
      };
      return {
        start(hole) {
          const first = grid.holeSquare[hole]!;
          const k = names.findIndex((n) => n.s === first);
          names.forEach((n, i) => (epuRank[n.s] = (i - k + names.length) % names.length));
          epuOrder = [...names.slice(k), ...names.slice(0, k)].map((n) => n.s);
          enter(first);
          queue = [hole, ...queue.filter((h) => h !== hole)];
        },
        next(current, visited) {
          let squares = epuOrder;
          let skipped = new Set<number>();
          if (engine) {
            const recs = recommend(grid, engine, engine.estimate(), current, epuRank);
            for (const { square, holes } of recs.holes) {
              plans.set(square, {
                order: holes.filter((h) => h.decision === 'collect').map((h) => h.hole),
                skip: new Set(holes.filter((h) => h.decision === 'skip').map((h) => h.hole)),
              });
            }
            const order = recs.squares.filter((s) => s.decision === 'collect').map((s) => s.square);
            const named = new Set(order);
            squares = [...order, ...squares.filter((s) => !named.has(s))];
            skipped = new Set(recs.squares.filter((s) => s.decision === 'skip').map((s) => s.square));
          }
          for (;;) {
            while (queue.length > 0) {
              const h = queue.shift()!;
              if (visited[h]) continue;
              // The first hole of a square is taken as planned; before each further one the latest selection is read.
              if (taken > 0 && plans.get(grid.holeSquare[h]!)?.skip.has(h)) continue;
              taken++;
              return h;
            }
            const candidates = squares.filter((s) => !left.has(s));
            const next = candidates.find((s) => !skipped.has(s)) ?? candidates[0];
            if (next === undefined) return -1;
            enter(next);
          }
        },
        reveal(hole, good, ctf) {
          grid.markAcquired(hole);
          results?.(hole, good, ctf);
        },
      };
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
