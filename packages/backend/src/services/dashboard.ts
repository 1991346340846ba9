/**
 * The operator dashboard's aggregates: per grid, every square with its atlas position and counts plus every CTF result
 * over time; per square, every foil hole with its micrographs' mean results. "Good" is the session's CTF limit.
 */
import type { GridCollection, SquareCollection } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { gridExists, gridSquareExists, holeCollection, micrographPoints, squareCollection } from '../repositories/dashboard.ts';
import { qualityConfigFromEnv } from './decisions/suggestions.ts';

/** undefined when the grid does not exist. */
export async function gridCollection(db: Db, gridUuid: string): Promise<GridCollection | undefined> {
  if (!(await gridExists(db, gridUuid))) return undefined;
  const limit = qualityConfigFromEnv().ctfMaxResolution;
  const [squares, points] = await Promise.all([squareCollection(db, gridUuid, limit), micrographPoints(db, gridUuid)]);
  return {
    grid_uuid: gridUuid,
    ctf_max_resolution: limit,
    squares,
    micrographs: { t: points.map((p) => p.t), ctf: points.map((p) => p.ctf) },
  };
}

/** undefined when the square does not exist. */
export async function gridSquareCollection(db: Db, gridsquareUuid: string): Promise<SquareCollection | undefined> {
  if (!(await gridSquareExists(db, gridsquareUuid))) return undefined;
  return {
    gridsquare_uuid: gridsquareUuid,
    ctf_max_resolution: qualityConfigFromEnv().ctfMaxResolution,
    holes: await holeCollection(db, gridsquareUuid),
  };
}
