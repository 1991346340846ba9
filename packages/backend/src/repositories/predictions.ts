/** Quality predictions of a grid's foil holes, named by EPU's foil hole ids, with the event that re-ranks the grid. */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { foilhole, gridsquare, qualityprediction, qualitypredictionmodel } from '../db/schema.ts';
import { insertOutbox } from './outbox.ts';

/**
 * Stores `model`'s predictions for the grid's holes (the model registered if new) and, when any was stored, a
 * `decision.updated` event for the grid, in one transaction. Returns the ids that name no hole of the grid.
 */
export async function storeHolePredictions(
  db: Db,
  gridUuid: string,
  model: string,
  predictions: ReadonlyArray<{ foilhole_id: string; value: number }>,
): Promise<{ stored: number; unknown: string[] }> {
  return db.transaction(async (tx) => {
    const ids = [...new Set(predictions.map((p) => p.foilhole_id))];
    const holes =
      ids.length === 0
        ? []
        : await tx
            .select({ uuid: foilhole.uuid, id: foilhole.foilhole_id })
            .from(foilhole)
            .innerJoin(gridsquare, eq(gridsquare.uuid, foilhole.gridsquare_uuid))
            .where(and(eq(gridsquare.grid_uuid, gridUuid), inArray(foilhole.foilhole_id, ids)));
    const uuidOf = new Map(holes.map((h) => [h.id, h.uuid]));
    const rows = predictions.flatMap((p) => {
      const uuid = uuidOf.get(p.foilhole_id);
      return uuid === undefined ? [] : [{ prediction_model_name: model, foilhole_uuid: uuid, value: p.value }];
    });
    if (rows.length > 0) {
      await tx.insert(qualitypredictionmodel).values({ name: model }).onConflictDoNothing();
      await tx.insert(qualityprediction).values(rows);
      await insertOutbox(tx, [{ event_type: 'decision.updated', grid_uuid: gridUuid, trigger: 'predictions' }]);
    }
    return { stored: rows.length, unknown: ids.filter((id) => !uuidOf.has(id)) };
  });
}
