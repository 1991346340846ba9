import type { Db } from '../../db/index.ts';
import { qualityConfigFromEnv } from '../../services/decisions/suggestions.ts';
import { recommendForGrid } from '../../services/agents/recommendations.ts';
import { gridOfSquare } from '../../repositories/live-grid.ts';
import { requireString } from './payload.ts';
import type { EventHandler, HandlerFamily } from './types.ts';

/**
 * A grid's estimate changed (`decision.updated` after a processing result) or it gained a square or holes: its
 * recommendations are worked out again and changed ones become instructions for its agents. Events for a grid whose
 * recomputation is running only ask for one more run after it (a burst of results costs two runs, not one each).
 */
const running = new Map<string, { again: boolean }>();

async function recompute(db: Db, gridUuid: string): Promise<number> {
  const state = running.get(gridUuid);
  if (state) {
    state.again = true;
    return 0;
  }
  const mine = { again: false };
  running.set(gridUuid, mine);
  let written = 0;
  try {
    do {
      mine.again = false;
      written += (await recommendForGrid(db, gridUuid, qualityConfigFromEnv())).length;
    } while (mine.again);
  } finally {
    running.delete(gridUuid);
  }
  return written;
}

const onGridChange: EventHandler = async (message, { db, log }) => {
  const gridUuid = requireString(message, 'grid_uuid');
  const written = await recompute(db, gridUuid);
  if (written > 0) log.info({ grid_uuid: gridUuid, instructions: written }, 'recommendations changed: instructions written');
};

/**
 * A square's foil holes arrived (EPU found them): its hole plan can be made now, before EPU asks for it, rather than at
 * the next processing result. A batch of holes costs one or two runs, as above.
 */
const onHoleCreated: EventHandler = async (message, { db }) => {
  const gridUuid = await gridOfSquare(db, requireString(message, 'gridsquare_uuid'));
  if (gridUuid) await recompute(db, gridUuid);
};

export const recommendationHandlers: HandlerFamily = {
  'decision.updated': onGridChange,
  'gridsquare.created': onGridChange,
  'foilhole.created': onHoleCreated,
};
