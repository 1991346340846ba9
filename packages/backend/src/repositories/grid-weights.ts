/** Prediction-model weights per grid (`qualitypredictionmodelweight`). */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { grid, qualitypredictionmodel, qualitypredictionmodelweight } from '../db/schema.ts';

export type InitialWeights = { inserted: number; reason?: undefined } | { inserted: 0; reason: string };

/**
 * For every registered prediction model without a weight row on the grid, one row with weight 1/number_of_models.
 * Idempotent: a per-grid advisory lock serialises concurrent calls, and models that already have a row are skipped.
 */
export async function insertInitialWeights(db: Db, gridUuid: string): Promise<InitialWeights> {
  return db.transaction(async (tx) => {
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
      await tx
        .insert(qualitypredictionmodelweight)
        .values(missing.map((model) => ({ grid_uuid: gridUuid, prediction_model_name: model.name, weight: 1 / models.length })));
    }
    return { inserted: missing.length };
  });
}
