/**
 * The live rankings as the API sends them: `GET /grids/{uuid}/suggested_squares`, `GET /gridsquares/{uuid}/suggested_holes`
 * and a grid's decision authority. The backend's routes serialise with these schemas; the dashboard reads their types.
 */
import { Type, type Static } from 'typebox';

export const RankingDecisionSchema = Type.Union([Type.Literal('collect'), Type.Literal('skip')]);

export const SuggestedSquareSchema = Type.Object({
  gridsquare_uuid: Type.String(),
  gridsquare_id: Type.String(),
  rank: Type.Integer(),
  score: Type.Number({ description: 'expected good holes per unit of time from going there now' }),
  expected_good_holes: Type.Number(),
  remaining_holes: Type.Integer(),
  decision: RankingDecisionSchema,
  p_good_mean: Type.Optional(
    Type.Number({ description: "the authority's estimated share of good holes: mean P(good) over all the square's holes" }),
  ),
  p_good_low: Type.Optional(Type.Number({ description: 'lower end of the 95 % interval of p_good_mean' })),
  p_good_high: Type.Optional(Type.Number({ description: 'upper end of the 95 % interval of p_good_mean' })),
  observed_good_share: Type.Optional(
    Type.Number({ description: "mean revealed quality of the square's holes with a result (absent when none has one)" }),
  ),
  observed_holes: Type.Optional(Type.Integer({ description: "the square's holes with a result" })),
});

export const SuggestedSquaresSchema = Type.Object({
  grid_uuid: Type.String(),
  authority: Type.String(),
  micrographs: Type.Integer(),
  foilholes_with_quality: Type.Integer(),
  squares: Type.Array(SuggestedSquareSchema),
});

export const SuggestedHoleSchema = Type.Object({
  foilhole_uuid: Type.String(),
  foilhole_id: Type.String(),
  rank: Type.Integer(),
  probability_good: Type.Number(),
  decision: RankingDecisionSchema,
});

export const SuggestedHolesSchema = Type.Object({
  gridsquare_uuid: Type.String(),
  grid_uuid: Type.String(),
  authority: Type.String(),
  holes: Type.Array(SuggestedHoleSchema),
});

export const AuthorityChoiceSchema = Type.Object({
  grid_uuid: Type.String(),
  authority: Type.String(),
  source: Type.Union([Type.Literal('grid'), Type.Literal('default')], { description: 'chosen for this grid, or the default' }),
});

export type RankingDecision = Static<typeof RankingDecisionSchema>;
export type SuggestedSquare = Static<typeof SuggestedSquareSchema>;
export type SuggestedSquares = Static<typeof SuggestedSquaresSchema>;
export type SuggestedHole = Static<typeof SuggestedHoleSchema>;
export type SuggestedHoles = Static<typeof SuggestedHolesSchema>;
export type AuthorityChoice = Static<typeof AuthorityChoiceSchema>;

const column = <T extends Parameters<typeof Type.Array>[0]>(items: T, description: string) => Type.Array(items, { description });
const nullableNumber = Type.Union([Type.Number(), Type.Null()]);

/**
 * The atlas page's ranking, `GET /grids/{uuid}/overview/ranking`: what it draws of `suggested_squares` (same ranking,
 * same authority) as one array per field, squares in rank order (rank = position + 1), numbers to 4 decimals, kept
 * until the database next changes; about a third of the size of `suggested_squares` on a 5,000-square atlas.
 */
export const AtlasRankingSchema = Type.Object({
  grid_uuid: Type.String(),
  authority: Type.String(),
  squares: Type.Object({
    gridsquare_uuid: column(Type.String(), 'in rank order, best first'),
    gridsquare_id: column(Type.String(), "the square's EPU id"),
    collect: column(Type.Integer(), 'the decision: 1 collect, 0 skip'),
    expected_good_holes: column(Type.Number(), 'expected good holes'),
    remaining_holes: column(Type.Integer(), 'foil holes left'),
    p_good_mean: column(nullableNumber, "the authority's estimated share of good holes (null: no estimate)"),
    p_good_low: column(nullableNumber, 'lower end of its 95 % interval'),
    p_good_high: column(nullableNumber, 'upper end of its 95 % interval'),
    observed_good_share: column(nullableNumber, "mean revealed quality of the square's holes with a result (null: none)"),
  }),
});
export type AtlasRanking = Static<typeof AtlasRankingSchema>;
