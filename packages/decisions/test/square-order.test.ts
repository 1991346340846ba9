/**
 * The order of squares SmartEM recommends to EPU: EPU's own order stands until a result tells squares apart, and
 * differences the results do not make (how holes cluster into groups, a few per cent of estimate) do not overrule it.
 * And, played offline as EPU would follow it, the rule collects more than EPU's own order where EPU's first squares
 * are bad, and never less where they are good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthority, DecisionGrid, squareOrder } from '../src/index.ts';
import { epuPolicy } from '../src/bench/epu-policy.ts';
import { indexDataset, runEpisode, startHole } from '../src/bench/episode.ts';
import type { BenchDataset } from '../src/bench/dataset.ts';

/** Squares A–D on one tile; A's 10 holes in one group, B's in two, C with 20 holes in one group, D 10 in one. */
function grid(): DecisionGrid {
  const layout: Array<[string, number, number]> = [
    ['A', 10, 1],
    ['B', 10, 2],
    ['C', 20, 1],
    ['D', 10, 1],
  ];
  const squares = layout.map(([id]) => ({ id, tile: 't' }));
  const holes = layout.flatMap(([square, n, groups]) =>
    Array.from({ length: n }, (_, i) => ({ id: `${square}-${i}`, square, group: `${square}${i % groups}`, x: i, y: 0 })),
  );
  return new DecisionGrid({ squares, holes });
}

const EPU_ORDER = [0, 1, 2, 3];
const names = (g: DecisionGrid, order: Array<{ square: number }>) => order.map((s) => g.squareIds[s.square]).join('');

test("before any result: the larger square first, the rest in EPU's order however their holes cluster", () => {
  const g = grid();
  const p = new Float64Array(g.holeCount).fill(0.5);
  // B's holes in two groups make its best rate lower than A's and D's: no reason to change EPU's order.
  assert.equal(names(g, squareOrder(g, createAuthority('online-learner', g), p, -1, EPU_ORDER)), 'CABD');
});

test('once results arrive: a clearly better square first, then more holes at the same quality, then EPU’s order', () => {
  const g = grid();
  const current = g.holeIndex.get('C-0')!;
  g.markAcquired(current);
  g.observe(current, 1);
  const p = Float64Array.from({ length: g.holeCount }, (_, h) => (g.squareIds[g.holeSquare[h]!] === 'D' ? 0.8 : 0.5));
  // B 2 % better than A (and as many holes): not a difference the results make.
  for (const h of g.squareHoles[1]!) p[h] = 0.51;
  const order = names(g, squareOrder(g, createAuthority('online-learner', g), p, current, EPU_ORDER));
  assert.equal(order, 'DCAB', `got ${order}`);
});

/** A grid like the simulator's: ten squares of 20 holes, each all good or all bad, EPU's first three bad. */
function simulatorLike(goodSquares: readonly number[]): BenchDataset {
  const holes = Array.from({ length: 10 }, (_, s) =>
    Array.from({ length: 20 }, (_, i) => ({
      id: `${s}-${String(i).padStart(2, '0')}`,
      tile: 'grid',
      square: `sq${s}`,
      group: `${s}-${Math.floor(i / 10)}`,
      x: 0,
      y: 0,
      ctf: goodSquares.includes(s) ? 4 : 8,
    })),
  ).flat();
  return { name: 'simulator-like', holes };
}

/** The first episode seed whose start hole is in square `square` (20 holes per square). */
function firstSeedStartingIn(holes: number, square: number): number {
  for (let seed = 0; ; seed++) if (Math.floor(startHole(holes, seed) / 20) === square) return seed;
}

test("EPU following the rule offline: leaves bad squares EPU's order would finish, keeps good ones", () => {
  const follow = epuPolicy({ authority: 'online-learner', withPredictions: false, feedbackDelayHoles: 3 });
  for (const [good, better] of [
    [[3, 4, 5, 6, 7, 8, 9], true],
    [[0, 1, 2, 3, 4, 5, 6], false],
  ] as const) {
    const g = indexDataset(simulatorLike(good), 6);
    const seed = firstSeedStartingIn(g.good.length, 0);
    const epu = runEpisode(g, epuPolicy(), seed, 80);
    const smartem = runEpisode(g, follow, seed, 80);
    if (better) assert.ok(smartem > epu, `bad squares first: SmartEM ${smartem} should beat EPU's order ${epu}`);
    else assert.ok(smartem >= epu, `good squares first: SmartEM ${smartem} should not lose to EPU's order ${epu}`);
  }
});
