import type { App } from '../app.ts';
import { uuidParam } from './common.ts';
import { Type } from 'typebox';
import { gridCollection, gridSquareCollection } from '../../services/dashboard.ts';
import { HttpError } from '../errors.ts';

/**
 * Read-only aggregates for the operator dashboard: `GET /grids/{uuid}/collection` (per grid square: atlas position,
 * holes, micrographs, good ones, mean CTF; plus every CTF result over time) and `GET /gridsquares/{uuid}/collection` (per
 * foil hole: micrographs and mean results). "Good" here is the session's CTF limit (SMARTEM_CTF_MAX_RESOLUTION).
 */
const nullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

const GridCollection = Type.Object({
  grid_uuid: Type.String(),
  ctf_max_resolution: Type.Number({ description: 'a micrograph is counted good when its CTF max resolution is ≤ this (Å)' }),
  squares: Type.Array(
    Type.Object({
      gridsquare_uuid: Type.String(),
      gridsquare_id: Type.String(),
      center_x: nullableNumber('centre on the atlas image (px)'),
      center_y: nullableNumber('centre on the atlas image (px)'),
      size_width: nullableNumber('width on the atlas image (px)'),
      size_height: nullableNumber('height on the atlas image (px)'),
      unusable: Type.Union([Type.Boolean(), Type.Null()]),
      foilholes: Type.Integer(),
      micrographs: Type.Integer(),
      with_ctf: Type.Integer({ description: 'micrographs with a CTF estimate' }),
      good: Type.Integer({ description: 'micrographs with CTF max resolution ≤ ctf_max_resolution' }),
      mean_ctf: nullableNumber('mean CTF max resolution (Å)'),
      last_acquired: Type.Union([Type.String(), Type.Null()]),
    }),
    { description: 'every grid square of the grid' },
  ),
  micrographs: Type.Object(
    {
      t: Type.Array(Type.Number(), { description: 'acquisition time, ms since the epoch, ascending' }),
      ctf: Type.Array(Type.Number(), { description: 'CTF max resolution (Å)' }),
    },
    { description: 'every micrograph with a CTF estimate, as columns' },
  ),
});

const SquareCollection = Type.Object({
  gridsquare_uuid: Type.String(),
  ctf_max_resolution: Type.Number(),
  holes: Type.Array(
    Type.Object({
      foilhole_uuid: Type.String(),
      micrographs: Type.Integer(),
      mean_ctf: nullableNumber('mean CTF max resolution (Å)'),
      mean_total_motion: nullableNumber('mean total motion (Å)'),
      particles_picked: nullableNumber('particles picked, summed over the micrographs'),
    }),
    { description: 'foil holes with micrographs' },
  ),
});

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
        response: { 200: GridCollection },
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
        response: { 200: SquareCollection },
      },
    },
    async (req) => {
      const found = await gridSquareCollection(app.store.db, req.params.gridsquare_uuid);
      if (!found) throw new HttpError(404, `grid square ${req.params.gridsquare_uuid} not found`);
      return found;
    },
  );
}
