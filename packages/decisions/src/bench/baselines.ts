import type { Rng } from '@smartem/common/rng';
import { cost, type BenchGrid, type EpisodePolicy, type PolicySpec } from './episode.ts';

/** The cheapest unvisited hole among those `accept` allows (all when none is allowed), ties broken at random. */
function cheapest(g: BenchGrid, current: number, visited: Uint8Array, rng: Rng, accept: (h: number) => boolean): number {
  for (const filtered of [true, false]) {
    let best = Infinity;
    let ties: number[] = [];
    for (let h = 0; h < visited.length; h++) {
      if (visited[h] || (filtered && !accept(h))) continue;
      const c = cost(g, current, h);
      if (c < best) {
        best = c;
        ties = [h];
      } else if (c === best) ties.push(h);
    }
    if (ties.length > 0) return ties[Math.floor(rng() * ties.length)];
  }
  return -1;
}

function policy(next: (g: BenchGrid, current: number, visited: Uint8Array, rng: Rng) => number): PolicySpec['create'] {
  return (g) => {
    let rng: Rng = Math.random;
    const p: EpisodePolicy = {
      start: (_hole, r) => {
        rng = r;
      },
      next: (current, visited) => next(g, current, visited, rng),
      reveal: () => {},
    };
    return p;
  };
}

export const randomPolicy: PolicySpec = {
  name: 'random',
  needsPredictions: false,
  create: policy((_g, _current, visited, rng) => {
    const open: number[] = [];
    for (let h = 0; h < visited.length; h++) if (!visited[h]) open.push(h);
    return open[Math.floor(rng() * open.length)];
  }),
};

/** EPU's default: every hole of the current patch, then the nearest unfinished patch (square by square). */
export const systematicPolicy: PolicySpec = {
  name: 'systematic',
  needsPredictions: false,
  create: policy((g, current, visited, rng) => cheapest(g, current, visited, rng, () => true)),
};

/** "Predict-Rank": the cheapest unvisited hole whose predicted CTF is ≤ threshold. */
export const greedyPredictionsPolicy: PolicySpec = {
  name: 'greedy-predictions',
  needsPredictions: true,
  create: policy((g, current, visited, rng) => cheapest(g, current, visited, rng, (h) => g.predictedGood[h] === 1)),
};

/** The same greedy on the true CTF: the practical ceiling. */
export const oraclePolicy: PolicySpec = {
  name: 'oracle',
  needsPredictions: false,
  create: policy((g, current, visited, rng) => cheapest(g, current, visited, rng, (h) => g.good[h] === 1)),
};
