import { initialGridWeights } from '../../services/grid-weights.ts';
import type { HandlerFamily } from './types.ts';
import { requireString } from './payload.ts';

/** `grid.created` → the grid's initial model weights (idempotent; a grid deleted since gets none, with a warning). */
export const gridWeightHandlers: HandlerFamily = {
  'grid.created': async (message, { db, log }) => {
    const gridUuid = requireString(message, 'uuid');
    const outcome = await initialGridWeights(db, gridUuid);
    if (outcome.reason) log.warn({ grid_uuid: gridUuid }, `grid.created: no initial weights: ${outcome.reason}`);
    else log.info({ grid_uuid: gridUuid, inserted: outcome.inserted }, 'grid.created: initial model weights');
  },
};
