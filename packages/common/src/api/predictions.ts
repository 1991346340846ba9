/**
 * Quality predictions for a grid's foil holes from an outside model (an image scorer): `POST /grids/{uuid}/predictions`.
 * Holes are named by EPU's own foil hole id, as the tools that score them know them; the decision engine reads the
 * latest prediction per model and hole.
 */
import { Type, type Static } from 'typebox';

export const FoilholePredictionsSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200, description: 'prediction model name (registered on first use)' }),
    predictions: Type.Array(
      Type.Object(
        {
          foilhole_id: Type.String({ minLength: 1, description: "EPU's foil hole id" }),
          value: Type.Number({ minimum: 0, maximum: 1, description: 'predicted probability that the hole is good' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100_000 },
    ),
  },
  { additionalProperties: false },
);

export const FoilholePredictionsResultSchema = Type.Object({
  grid_uuid: Type.String(),
  model: Type.String(),
  stored: Type.Integer({ description: 'predictions stored' }),
  unknown_foilhole_ids: Type.Array(Type.String(), {
    description: 'ids of no foil hole of this grid (yet): nothing stored for them; send them again once EPU has found them',
  }),
});

export type FoilholePredictions = Static<typeof FoilholePredictionsSchema>;
export type FoilholePredictionsResult = Static<typeof FoilholePredictionsResultSchema>;
