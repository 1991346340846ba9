/**
 * Which holes the backend tells EPU to collect in the squares it plans: a square not started keeps only the holes
 * better than the best square EPU has not started; the square being collected is left only for a clearly better one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionGrid, type SquareSuggestion } from '../src/index.ts';
import { holeSelections } from '../src/recommendations.ts';

/** Squares A (being collected), B (not started, the best elsewhere) and C (not started), 10 holes each. */
function grid(): DecisionGrid {
  const squares = ['A', 'B', 'C'].map((id) => ({ id, tile: 't1' }));
  const holes = squares.flatMap(({ id }) =>
    Array.from({ length: 10 }, (_, i) => ({ id: `${id}-${i}`, square: id, group: `${id}g`, x: i, y: 0 })),
  );
  return new DecisionGrid({ squares, holes });
}

test('the square being collected keeps holes a square not started would pass over, down to half the best rate elsewhere', () => {
  const g = grid();
  const [A, B, C] = [0, 1, 2];
  const current = g.holeIndex.get('A-0')!;
  g.observe(current, 1);
  // P(good) 0.4 in A and C, a better square B elsewhere (rate 0.6); one hole of A and one of C well below half of it.
  const p = Float64Array.from({ length: g.holeCount }, (_, h) => (g.holeSquare[h] === B ? 0.7 : 0.4));
  p[g.holeIndex.get('A-9')!] = 0.1;
  p[g.holeIndex.get('C-9')!] = 0.1;
  const suggestion = (square: number, rate: number): SquareSuggestion => ({
    square,
    rate,
    expectedGood: 0,
    remaining: 10,
    decision: 'collect',
  });
  const squares = [suggestion(B, 0.6), suggestion(A, 0.35), suggestion(C, 0.35)];
  const plans = new Map(holeSelections(g, p, current, squares, [A, C]).map((s) => [s.square, s.holes]));
  const ids = (square: number, decision: 'collect' | 'skip') =>
    plans
      .get(square)!
      .filter((h) => h.decision === decision)
      .map((h) => g.holeIds[h.hole]);
  assert.deepEqual(ids(A, 'skip'), ['A-9'], 'being collected: only the hole below half the best rate elsewhere is passed over');
  assert.equal(ids(A, 'collect').length, 8, "the rest of A's remaining holes are collected");
  assert.equal(ids(C, 'collect').length, 0, 'not started: holes worse than the best square elsewhere are passed over');
  assert.equal(ids(C, 'skip').length, 10);
});
