import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { qualityConfigFromEnv } from '../../services/decisions/suggestions.ts';
import { gridExists, gridSquareExists, holeCollection, micrographPoints, squareCollection } from '../../repositories/dashboard.ts';
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

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/grids/:grid_uuid/collection',
    { schema: { tags: ['dashboard'], params: Type.Object({ grid_uuid: Type.String() }), response: { 200: GridCollection } } },
    async (req) => {
      const { grid_uuid } = req.params as { grid_uuid: string };
      if (!(await gridExists(app.store.db, grid_uuid))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      const limit = qualityConfigFromEnv().ctfMaxResolution;
      const [squares, points] = await Promise.all([squareCollection(app.store.db, grid_uuid, limit), micrographPoints(app.store.db, grid_uuid)]);
      return {
        grid_uuid,
        ctf_max_resolution: limit,
        squares,
        micrographs: { t: points.map((p) => p.t), ctf: points.map((p) => p.ctf) },
      };
    },
  );
  app.get(
    '/gridsquares/:gridsquare_uuid/collection',
    { schema: { tags: ['dashboard'], params: Type.Object({ gridsquare_uuid: Type.String() }), response: { 200: SquareCollection } } },
    async (req) => {
      const { gridsquare_uuid } = req.params as { gridsquare_uuid: string };
      if (!(await gridSquareExists(app.store.db, gridsquare_uuid))) throw new HttpError(404, `grid square ${gridsquare_uuid} not found`);
      return { gridsquare_uuid, ctf_max_resolution: qualityConfigFromEnv().ctfMaxResolution, holes: await holeCollection(app.store.db, gridsquare_uuid) };
    },
  );
}
