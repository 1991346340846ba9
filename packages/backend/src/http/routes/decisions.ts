import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AUTHORITY_NAMES } from '../../decisions/authority.ts';
import { qualityConfigFromEnv, resolveAuthority, suggestedHoles, suggestedSquares } from '../../decisions/live/suggest.ts';
import { HttpError } from '../errors.ts';

/**
 * Live rankings: `GET /grids/{uuid}/suggested_squares` and `GET /gridsquares/{uuid}/suggested_holes`, computed from
 * the database on each request (so every stored result counts at once), by the authority named in `?authority=`,
 * else SMARTEM_DECISION_AUTHORITY, else the online learner.
 */
const AuthorityQuery = Type.Object(
  { authority: Type.Optional(Type.Union(AUTHORITY_NAMES.map((n) => Type.Literal(n)), { description: 'decision authority' })) },
  { additionalProperties: false },
);

const Decision = Type.Union([Type.Literal('collect'), Type.Literal('skip')]);

const SquaresResponse = Type.Object({
  grid_uuid: Type.String(),
  authority: Type.String(),
  micrographs: Type.Integer(),
  foilholes_with_quality: Type.Integer(),
  squares: Type.Array(
    Type.Object({
      gridsquare_uuid: Type.String(),
      gridsquare_id: Type.String(),
      rank: Type.Integer(),
      score: Type.Number({ description: 'expected good holes per unit of time from going there now' }),
      expected_good_holes: Type.Number(),
      remaining_holes: Type.Integer(),
      decision: Decision,
    }),
  ),
});

const HolesResponse = Type.Object({
  gridsquare_uuid: Type.String(),
  grid_uuid: Type.String(),
  authority: Type.String(),
  holes: Type.Array(
    Type.Object({
      foilhole_uuid: Type.String(),
      foilhole_id: Type.String(),
      rank: Type.Integer(),
      probability_good: Type.Number(),
      decision: Decision,
    }),
  ),
});

function authorityOf(query: unknown): ReturnType<typeof resolveAuthority> {
  try {
    return resolveAuthority((query as { authority?: string }).authority);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

export async function decisionRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/grids/:grid_uuid/suggested_squares',
    { schema: { tags: ['decisions'], params: Type.Object({ grid_uuid: Type.String() }), querystring: AuthorityQuery, response: { 200: SquaresResponse } } },
    async (req) => {
      const { grid_uuid } = req.params as { grid_uuid: string };
      const out = await suggestedSquares(app.store.db, grid_uuid, authorityOf(req.query), qualityConfigFromEnv());
      if (!out) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return out;
    },
  );
  app.get(
    '/gridsquares/:gridsquare_uuid/suggested_holes',
    { schema: { tags: ['decisions'], params: Type.Object({ gridsquare_uuid: Type.String() }), querystring: AuthorityQuery, response: { 200: HolesResponse } } },
    async (req) => {
      const { gridsquare_uuid } = req.params as { gridsquare_uuid: string };
      const out = await suggestedHoles(app.store.db, gridsquare_uuid, authorityOf(req.query), qualityConfigFromEnv());
      if (!out) throw new HttpError(404, `grid square ${gridsquare_uuid} not found`);
      return out;
    },
  );
}
