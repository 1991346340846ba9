/**
 * The operator dashboard's aggregates: per grid, every square with its atlas position and counts plus every CTF result
 * over time; per square, every foil hole with its micrographs' mean results. "Good" is the session's CTF limit.
 */
import type { GridCollection, GridOverview, SquareCollection } from '@smartem/common';
import type { Db } from '../db/index.ts';
import {
  ctfPlots,
  gridExists,
  gridName,
  gridSquareExists,
  holeCollection,
  micrographPoints,
  squareCollection,
  squareCollectionJson,
} from '../repositories/dashboard.ts';
import { readEpuDefaultOrder } from '../repositories/epu-default-order.ts';
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

/** Bins of the overview's CTF histogram (Å) and slices of its plot over time. */
const CTF_BIN = 0.5;
const TIME_SLICES = 400;

/**
 * `GET /grids/{uuid}/overview` as its JSON text (the squares' part built by the database is not parsed and written
 * again); undefined when the grid does not exist. The histogram runs from 0 to twice the CTF limit (at least 10 Å).
 */
export async function gridOverviewJson(db: Db, gridUuid: string): Promise<string | undefined> {
  const name = await gridName(db, gridUuid);
  if (name === undefined) return undefined;
  const limit = qualityConfigFromEnv().ctfMaxResolution;
  const squares = await squareCollectionJson(db, gridUuid, limit);
  const bins = Math.ceil(Math.max(limit * 2, 10) / CTF_BIN) + 1;
  const [plots, epuDefault] = await Promise.all([
    ctfPlots(db, gridUuid, { ctfLimit: limit, binWidth: CTF_BIN, bins, slices: TIME_SLICES }),
    readEpuDefaultOrder(db, gridUuid),
  ]);
  const rest: Omit<GridOverview, 'squares'> = {
    grid_uuid: gridUuid,
    name,
    ctf_max_resolution: limit,
    ctf_histogram: { bin_width: CTF_BIN, counts: plots.histogram },
    over_time: plots.overTime,
    epu_default_order: epuDefault,
  };
  return `${JSON.stringify(rest).slice(0, -1)},"squares":${squares}}`;
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
