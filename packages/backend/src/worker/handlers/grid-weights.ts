import { eq, sql } from 'drizzle-orm';
import { grid, qualitypredictionmodel, qualitypredictionmodelweight } from '../../db/schema.ts';
import type { HandlerFamily } from './types.ts';
import { requireString } from './payload.ts';

/**
 * `grid.created` → initial model weights (seed-spec §8.1 item 2): for every registered prediction model without a
 * weight row on the grid, one row with weight 1/number_of_models. Idempotent: a per-grid advisory lock serialises
 * concurrent deliveries of the same event, and models that already have a row are skipped.
 */
export const gridWeightHandlers: HandlerFamily = {
  'grid.created': async (message, { db, log }) => {
    const gridUuid = requireString(message, 'uuid');
    const outcome = await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`grid-weights:${gridUuid}`}))`);
      const found = await tx.select({ uuid: grid.uuid }).from(grid).where(eq(grid.uuid, gridUuid)).limit(1);
      if (found.length === 0) return { inserted: 0, reason: 'grid not found (deleted since?)' };
      const models = await tx.select({ name: qualitypredictionmodel.name }).from(qualitypredictionmodel);
      if (models.length === 0) return { inserted: 0, reason: 'no prediction models registered' };
      const existing = await tx
        .select({ name: qualitypredictionmodelweight.prediction_model_name })
        .from(qualitypredictionmodelweight)
        .where(eq(qualitypredictionmodelweight.grid_uuid, gridUuid));
      const have = new Set(existing.map((row) => row.name));
      const missing = models.filter((model) => !have.has(model.name));
      if (missing.length > 0) {
        await tx.insert(qualitypredictionmodelweight).values(
          missing.map((model) => ({ grid_uuid: gridUuid, prediction_model_name: model.name, weight: 1 / models.length })),
        );
      }
      return { inserted: missing.length, reason: undefined };
    });
    if (outcome.reason) log.warn({ grid_uuid: gridUuid }, `grid.created: no initial weights: ${outcome.reason}`);
    else log.info({ grid_uuid: gridUuid, inserted: outcome.inserted }, 'grid.created: initial model weights');
  },
};
