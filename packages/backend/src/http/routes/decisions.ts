import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { grid } from '../../db/schema.ts';
import { AUTHORITY_NAMES, isAuthorityName, type AuthorityName } from '@smartem/decisions';
import { qualityConfigFromEnv, resolveAuthority, setGridAuthority, storedAuthority, suggestedHoles, suggestedSquares } from '../../decisions/live/suggest.ts';
import { HttpError } from '../errors.ts';
import { timeRanking } from '../../metrics.ts';

/**
 * Live rankings: `GET /grids/{uuid}/suggested_squares` and `GET /gridsquares/{uuid}/suggested_holes`, computed from
 * the database on each request (so every stored result counts at once), by the authority named in `?authority=`,
 * else the one chosen for the grid (`PUT /grids/{uuid}/decision_authority`), else SMARTEM_DECISION_AUTHORITY, else the
 * online learner.
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

/** The authority named in the query, if any (the schema already restricts it to known names). */
function authorityOf(query: unknown): AuthorityName | undefined {
  const name = (query as { authority?: string }).authority;
  if (name === undefined) return undefined;
  if (!isAuthorityName(name)) throw new HttpError(400, `unknown decision authority "${name}"`);
  return name;
}

const AuthorityChoice = Type.Object({
  grid_uuid: Type.String(),
  authority: Type.String(),
  source: Type.Union([Type.Literal('grid'), Type.Literal('default')], { description: 'chosen for this grid, or the default' }),
});

async function gridExists(app: FastifyInstance, gridUuid: string): Promise<boolean> {
  const rows = await app.store.db.select({ uuid: grid.uuid }).from(grid).where(eq(grid.uuid, gridUuid)).limit(1);
  return rows.length > 0;
}

export async function decisionRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/grids/:grid_uuid/decision_authority',
    { schema: { tags: ['decisions'], params: Type.Object({ grid_uuid: Type.String() }), response: { 200: AuthorityChoice } } },
    async (req) => {
      const { grid_uuid } = req.params as { grid_uuid: string };
      const stored = await storedAuthority(app.store.db, grid_uuid);
      if (stored) return { grid_uuid, authority: stored, source: 'grid' as const };
      // Distinguish "no choice" from "no grid".
      if (!(await gridExists(app, grid_uuid))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return { grid_uuid, authority: resolveAuthority(), source: 'default' as const };
    },
  );
  app.put(
    '/grids/:grid_uuid/decision_authority',
    {
      schema: {
        tags: ['decisions'],
        params: Type.Object({ grid_uuid: Type.String() }),
        body: Type.Object({ authority: Type.Union(AUTHORITY_NAMES.map((n) => Type.Literal(n))) }),
        response: { 200: AuthorityChoice },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params as { grid_uuid: string };
      const { authority } = req.body as { authority: AuthorityName };
      if (!(await setGridAuthority(app.store.db, grid_uuid, authority))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return { grid_uuid, authority, source: 'grid' as const };
    },
  );
  app.get(
    '/grids/:grid_uuid/suggested_squares',
    { schema: { tags: ['decisions'], params: Type.Object({ grid_uuid: Type.String() }), querystring: AuthorityQuery, response: { 200: SquaresResponse } } },
    async (req) => {
      const { grid_uuid } = req.params as { grid_uuid: string };
      const out = await timeRanking('squares', () => suggestedSquares(app.store.db, grid_uuid, authorityOf(req.query), qualityConfigFromEnv()));
      if (!out) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return out;
    },
  );
  app.get(
    '/gridsquares/:gridsquare_uuid/suggested_holes',
    { schema: { tags: ['decisions'], params: Type.Object({ gridsquare_uuid: Type.String() }), querystring: AuthorityQuery, response: { 200: HolesResponse } } },
    async (req) => {
      const { gridsquare_uuid } = req.params as { gridsquare_uuid: string };
      const out = await timeRanking('holes', () => suggestedHoles(app.store.db, gridsquare_uuid, authorityOf(req.query), qualityConfigFromEnv()));
      if (!out) throw new HttpError(404, `grid square ${gridsquare_uuid} not found`);
      return out;
    },
  );
}
