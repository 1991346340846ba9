import type { Db } from '../../db/index.ts';
import { qualityConfigFromEnv } from '../../services/decisions/suggestions.ts';
import { recommendForGrid } from '../../services/agents/recommendations.ts';
import { gridOfSquare } from '../../repositories/live-grid.ts';
import { requireString } from './payload.ts';
import type { EventHandler, HandlerFamily } from './types.ts';

/**
 * A grid's estimate changed (`decision.updated` after a processing result) or it gained a square or holes: its
 * recommendations are worked out again and changed ones become instructions for its agents. Events for a grid join the
 * run that has not started yet: the first one schedules it (after the event loop has handed out the other events
 * already delivered), later ones wait for the same run; an event arriving while a run is reading the grid gets the
 * next run. Every handler returns once a run that started after its event has finished (so an acknowledged event's
 * change is in the recommendations), and a burst of results costs two or three runs, not one each. The wait must be
 * a macrotask: PGlite answers queries without one, so a run started at once would finish before the other delivered
 * events' handlers even begin and nothing would coalesce.
 */
interface GridRuns {
  /** The run reading the grid now. */
  current?: Promise<unknown>;
  /** The run not started yet, which every event arriving now joins. */
  next?: Promise<number>;
}
const grids = new Map<string, GridRuns>();

function recompute(db: Db, gridUuid: string): Promise<number> {
  let runs = grids.get(gridUuid);
  if (!runs) grids.set(gridUuid, (runs = {}));
  if (runs.next) return runs.next;
  const state = runs;
  const next = (async () => {
    await state.current?.catch(() => {});
    await new Promise<void>((resolve) => setImmediate(resolve));
    state.next = undefined;
    const run = recommendForGrid(db, gridUuid, qualityConfigFromEnv());
    state.current = run;
    try {
      return (await run).length;
    } finally {
      if (state.current === run) state.current = undefined;
      if (!state.current && !state.next) grids.delete(gridUuid);
    }
  })();
  state.next = next;
  return next;
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
