import type { DecisionAuthority } from './authority.ts';
import type { DecisionGrid } from './grid-model.ts';
import { createRng, hashString } from '@smartem/common/rng';

/**
 * The original's mock: every hole gets a uniform random "prediction" once, and nothing is learned.
 * Kept as the reference point every real authority must beat.
 */
export class RandomMockAuthority implements DecisionAuthority {
  readonly name = 'random-mock';
  private readonly values: Float64Array;

  constructor(grid: DecisionGrid, seed = 0) {
    this.values = Float64Array.from(grid.holeIds, (id) => createRng(hashString(id) ^ seed)());
  }

  estimate(): Float64Array {
    return this.values;
  }
}
