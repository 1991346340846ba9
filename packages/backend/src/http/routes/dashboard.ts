import type { App } from '../app.ts';
import { uuidParam } from './common.ts';
import { GridCollectionSchema, SquareCollectionSchema } from '@smartem/common';
import { gridCollection, gridSquareCollection } from '../../services/dashboard.ts';
import { HttpError } from '../errors.ts';

/**
 * Read-only aggregates for the operator dashboard: `GET /grids/{uuid}/collection` (per grid square: atlas position,
 * holes, micrographs, good ones, mean CTF; plus every CTF result over time) and `GET /gridsquares/{uuid}/collection` (per
 * foil hole: micrographs and mean results). "Good" here is the session's CTF limit (SMARTEM_CTF_MAX_RESOLUTION).
 */
export async function dashboardRoutes(app: App): Promise<void> {
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
