import type { App } from '../app.ts';
import { uuidParam } from './common.ts';
import { Type } from 'typebox';
import { AUTHORITY_NAMES } from '@smartem/decisions';
import {
  AuthorityChoiceSchema,
  FoilholePredictionsResultSchema,
  FoilholePredictionsSchema,
  SuggestedHolesSchema,
  SuggestedSquaresSchema,
} from '@smartem/common';
import { gridExists } from '../../repositories/live-grid.ts';
import { storeHolePredictions } from '../../repositories/predictions.ts';
import {
  gridAuthority,
  qualityConfigFromEnv,
  setGridAuthority,
  suggestedHoles,
  suggestedSquares,
} from '../../services/decisions/suggestions.ts';
import { HttpError } from '../errors.ts';
import { timeRanking } from '../../metrics.ts';

/**
 * Live rankings: `GET /grids/{uuid}/suggested_squares` and `GET /gridsquares/{uuid}/suggested_holes`, computed from
 * the database on each request (so every stored result counts at once), by the authority named in `?authority=`,
 * else the one chosen for the grid (`PUT /grids/{uuid}/decision_authority`), else SMARTEM_DECISION_AUTHORITY, else the
 * online learner.
 */
const AuthorityQuery = Type.Object(
  {
    authority: Type.Optional(
      Type.Union(
        AUTHORITY_NAMES.map((n) => Type.Literal(n)),
        { description: 'decision authority' },
      ),
    ),
  },
  { additionalProperties: false },
);

export async function decisionRoutes(app: App): Promise<void> {
  app.get(
    '/grids/:grid_uuid/decision_authority',
    {
      schema: {
        tags: ['decisions'],
        summary: "read a grid's decision authority",
        description:
          'The authority chosen for the grid (source grid), else the default (SMARTEM_DECISION_AUTHORITY or the online learner).',
        params: uuidParam('grid_uuid'),
        response: { 200: AuthorityChoiceSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const choice = await gridAuthority(app.store.db, grid_uuid);
      if (!choice) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return { grid_uuid, ...choice };
    },
  );
  app.put(
    '/grids/:grid_uuid/decision_authority',
    {
      schema: {
        tags: ['decisions'],
        summary: "choose a grid's decision authority",
        description: 'Stores the authority that ranks this grid from now on; 404 when the grid does not exist.',
        params: uuidParam('grid_uuid'),
        body: Type.Object({ authority: Type.Union(AUTHORITY_NAMES.map((n) => Type.Literal(n))) }),
        response: { 200: AuthorityChoiceSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const { authority } = req.body;
      if (!(await setGridAuthority(app.store.db, grid_uuid, authority))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return { grid_uuid, authority, source: 'grid' as const };
    },
  );
  app.post(
    '/grids/:grid_uuid/predictions',
    {
      schema: {
        tags: ['decisions'],
        summary: "store a model's predictions for a grid's foil holes",
        description:
          "Stores each prediction (probability good) on the grid's foil hole with that EPU id, registers the model on first use and re-ranks the grid; ids of no foil hole of the grid (yet) are listed back, nothing stored for them. 404 when the grid does not exist.",
        params: uuidParam('grid_uuid'),
        body: FoilholePredictionsSchema,
        response: { 200: FoilholePredictionsResultSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const { model, predictions } = req.body;
      if (!(await gridExists(app.store.db, grid_uuid))) throw new HttpError(404, `grid ${grid_uuid} not found`);
      const { stored, unknown } = await storeHolePredictions(app.store.db, grid_uuid, model, predictions);
      if (stored > 0) app.store.onCommit?.();
      return { grid_uuid, model, stored, unknown_foilhole_ids: unknown };
    },
  );
  app.get(
    '/grids/:grid_uuid/suggested_squares',
    {
      schema: {
        tags: ['decisions'],
        summary: "rank a grid's squares",
        description:
          'Squares ranked for collection by expected good holes per unit of time, computed from every stored result on this request.',
        params: uuidParam('grid_uuid'),
        querystring: AuthorityQuery,
        response: { 200: SuggestedSquaresSchema },
      },
    },
    async (req) => {
      const { grid_uuid } = req.params;
      const out = await timeRanking('squares', () =>
        suggestedSquares(app.store.db, grid_uuid, req.query.authority, qualityConfigFromEnv()),
      );
      if (!out) throw new HttpError(404, `grid ${grid_uuid} not found`);
      return out;
    },
  );
  app.get(
    '/gridsquares/:gridsquare_uuid/suggested_holes',
    {
      schema: {
        tags: ['decisions'],
        summary: "rank a square's foil holes",
        description: "The square's remaining foil holes in collection order with their probability of being good.",
        params: uuidParam('gridsquare_uuid'),
        querystring: AuthorityQuery,
        response: { 200: SuggestedHolesSchema },
      },
    },
    async (req) => {
      const { gridsquare_uuid } = req.params;
      const out = await timeRanking('holes', () =>
        suggestedHoles(app.store.db, gridsquare_uuid, req.query.authority, qualityConfigFromEnv()),
      );
      if (!out) throw new HttpError(404, `grid square ${gridsquare_uuid} not found`);
      return out;
    },
  );
}
