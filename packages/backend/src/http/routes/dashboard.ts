import type { App } from '../app.ts';
import { uuidParam } from './common.ts';
import {
  AtlasRankingSchema,
  EpuDefaultOrderResultSchema,
  EpuDefaultOrderSchema,
  GridCollectionSchema,
  GridOverviewSchema,
  SquareCollectionSchema,
  type AtlasRanking,
  type EpuDefaultOrder,
} from '@smartem/common';
import { gridCollection, gridOverviewJson, gridSquareCollection } from '../../services/dashboard.ts';
import { atlasRanking, atlasRankingKey } from '../../services/atlas-ranking.ts';
import { createChangeCache, type ChangeCacheOptions } from '../../services/change-cache.ts';
import { createNotifyFeed } from '../../services/notify-feed.ts';
import { qualityConfigFromEnv } from '../../services/decisions/suggestions.ts';
import { LIVE_CHANNEL } from '../../repositories/live-events.ts';
import { gridExists } from '../../repositories/live-grid.ts';
import { saveEpuDefaultOrder, type EpuDefaultCurve } from '../../repositories/epu-default-order.ts';
import { HttpError } from '../errors.ts';
import { timeRanking } from '../../metrics.ts';

/** Grids whose overview is kept (an atlas of 5,000 squares is ~1.3 MB of JSON). */
const OVERVIEWS_KEPT = 8;
/**
 * A grid's overview and ranking read in the last half minute (an open page re-reads them on every change) are
 * computed again in the background right after a change, so the page (or an operator opening it) does not wait for
 * a cold computation.
 */
const REFRESH: ChangeCacheOptions = { refreshWithinMs: 30_000, refreshDelayMs: 20 };

/**
 * Read-only aggregates for the operator dashboard: `GET /grids/{uuid}/collection` (per grid square: atlas position,
 * holes, micrographs, good ones, mean CTF; plus every CTF result over time) and `GET /gridsquares/{uuid}/collection` (per
 * foil hole: micrographs and mean results), and `GET /grids/{uuid}/overview`, the atlas page's one read, kept until
 * the database next changes, with EPU's default order for comparison when a simulation stored it (`PUT
 * /grids/{uuid}/epu_default_order`), and `GET /grids/{uuid}/overview/ranking`, its ranking in compact form, kept the
 * same way. "Good" here is the session's CTF limit (SMARTEM_CTF_MAX_RESOLUTION).
 */
export async function dashboardRoutes(app: App): Promise<void> {
  const feed = app.databaseListen ? createNotifyFeed(app.databaseListen, LIVE_CHANNEL) : undefined;
  const overviews = await createChangeCache<string | undefined>(feed, OVERVIEWS_KEPT, REFRESH);
  const rankings = await createChangeCache<AtlasRanking | undefined>(feed, OVERVIEWS_KEPT, REFRESH);
  app.addHook('onClose', async () => {
    overviews.close();
    rankings.close();
    await feed?.close();
  });
  app.get(
    '/grids/:grid_uuid/overview',
    {
      schema: {
        tags: ['dashboard'],
        summary: "A grid's atlas page in one read",
        description:
          "The grid's name, every grid square with its atlas position and counts (as in /collection), a histogram of the CTF results and cumulative counts over time aggregated in the database. Kept until the database next changes.",
        params: uuidParam('grid_uuid'),
        response: { 200: GridOverviewSchema },
      },
    },
    async (req, reply) => {
      const { grid_uuid } = req.params;
      const limit = qualityConfigFromEnv().ctfMaxResolution;
      const json = await overviews.get(`${grid_uuid} ${limit}`, () => gridOverviewJson(app.store.db, grid_uuid));
      if (json === undefined) throw new HttpError(404, `grid ${grid_uuid} not found`);
      // Already JSON (built against GridOverviewSchema): a string with a JSON content type is sent as it is.
      return reply.type('application/json; charset=utf-8').send(json as never);
    },
  );
  app.put(
    '/grids/:grid_uuid/epu_default_order',
    {
      schema: {
        tags: ['dashboard'],
        summary: "store EPU's default order on a grid, for comparison",
        description:
          "The good micrographs EPU's default order collects on this grid by beam time, as a simulation that knows the grid's hidden quality played it (`smartem demo`, `smartem bench closed-loop`), each point placed on the acquisition-time axis of the overview's plot. Replaces what was stored; the atlas page draws it beside SmartEM's own curve. 422 when times or counts go down from one point to the next; 404 when the grid does not exist.",
        params: uuidParam('grid_uuid'),
        body: EpuDefaultOrderSchema,
        response: { 200: EpuDefaultOrderResultSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const curve = epuDefaultCurve(req.body);
      if (!(await gridExists(app.store.db, grid_uuid))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      await saveEpuDefaultOrder(app.store.db, grid_uuid, curve);
      return { grid_uuid, points: curve.t.length };
    },
  );
  app.get(
    '/grids/:grid_uuid/overview/ranking',
    {
      schema: {
        tags: ['dashboard'],
        summary: "The atlas page's ranking of a grid's squares, compact",
        description:
          "The ranking of GET /grids/{uuid}/suggested_squares by the grid's authority, with only what the atlas page draws, one array per field in rank order. Kept until the database next changes.",
        params: uuidParam('grid_uuid'),
        response: { 200: AtlasRankingSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const key = await atlasRankingKey(app.store.db, grid_uuid);
      const found = await rankings.get(key, () => timeRanking('squares', () => atlasRanking(app.store.db, grid_uuid)));
      if (!found) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return found;
    },
  );
  app.get(
    '/grids/:grid_uuid/collection',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'A grid for the dashboard',
        description:
          'Every grid square with its atlas position and counts (holes, micrographs, good ones, mean CTF), and every CTF result over time.',
        params: uuidParam('grid_uuid'),
        response: { 200: GridCollectionSchema },
      },
    },
    async (req) => {
      const found = await gridCollection(app.store.db, req.params.grid_uuid);
      if (!found) throw new HttpError(404, `grid ${req.params.grid_uuid} not found`);
      return found;
    },
  );
  app.get(
    '/gridsquares/:gridsquare_uuid/collection',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'A grid square for the dashboard',
        description: 'Every foil hole of the square with its micrographs and their mean results.',
        params: uuidParam('gridsquare_uuid'),
        response: { 200: SquareCollectionSchema },
      },
    },
    async (req) => {
      const found = await gridSquareCollection(app.store.db, req.params.gridsquare_uuid);
      if (!found) throw new HttpError(404, `grid square ${req.params.gridsquare_uuid} not found`);
      return found;
    },
  );
}

/** The points as columns; a 422 naming the first point whose time or count goes down (a cumulative curve cannot). */
function epuDefaultCurve(body: EpuDefaultOrder): EpuDefaultCurve {
  const curve: EpuDefaultCurve = { t: [], beam_time: [], good: [] };
  body.points.forEach((p, k) => {
    const before = body.points[k - 1];
    for (const field of ['t', 'beam_time', 'good'] as const) {
      if (before && p[field] < before[field]) {
        const message = `must not be less than the previous point's (${before[field]})`;
        throw new HttpError(422, `points/${k}/${field} ${message}`, [{ field: `points/${k}/${field}`, message }]);
      }
    }
    curve.t.push(p.t);
    curve.beam_time.push(p.beam_time);
    curve.good.push(p.good);
  });
  return curve;
}
