/** A new grid's initial model weights: every registered prediction model weighted equally. */
import type { Db } from '../db/index.ts';
import { insertInitialWeights, type InitialWeights } from '../repositories/grid-weights.ts';

export type { InitialWeights };

export function initialGridWeights(db: Db, gridUuid: string): Promise<InitialWeights> {
  return insertInitialWeights(db, gridUuid);
}
