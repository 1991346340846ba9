/**
 * The dashboard's aggregates as the API sends them: `GET /grids/{uuid}/collection` (per grid square: atlas position,
 * holes, micrographs, good ones, mean CTF; plus every CTF result over time) and `GET /gridsquares/{uuid}/collection`
 * (per foil hole: micrographs and mean results). The backend's routes serialise with these schemas; the dashboard
 * reads their types.
 */
import { Type, type Static } from 'typebox';

const nullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

/**
 * A grid square as the atlas needs it: its atlas position and what has been collected there. Position and size are null
 * before the atlas names the square's position.
 */
export const AtlasSquareSchema = Type.Object({
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
});

export const GridCollectionSchema = Type.Object({
  grid_uuid: Type.String(),
  ctf_max_resolution: Type.Number({ description: 'a micrograph is counted good when its CTF max resolution is ≤ this (Å)' }),
  squares: Type.Array(AtlasSquareSchema, { description: 'every grid square of the grid' }),
  micrographs: Type.Object(
    {
      t: Type.Array(Type.Number(), { description: 'acquisition time, ms since the epoch, ascending' }),
      ctf: Type.Array(Type.Number(), { description: 'CTF max resolution (Å)' }),
    },
    { description: 'every micrograph with a CTF estimate, as columns' },
  ),
});

export const HoleCollectionSchema = Type.Object({
  foilhole_uuid: Type.String(),
  micrographs: Type.Integer(),
  mean_ctf: nullableNumber('mean CTF max resolution (Å)'),
  mean_total_motion: nullableNumber('mean total motion (Å)'),
  particles_picked: nullableNumber('particles picked, summed over the micrographs'),
});

export const SquareCollectionSchema = Type.Object({
  gridsquare_uuid: Type.String(),
  ctf_max_resolution: Type.Number(),
  holes: Type.Array(HoleCollectionSchema, { description: 'foil holes with micrographs' }),
});

export type AtlasSquare = Static<typeof AtlasSquareSchema>;
export type GridCollection = Static<typeof GridCollectionSchema>;
export type HoleCollection = Static<typeof HoleCollectionSchema>;
export type SquareCollection = Static<typeof SquareCollectionSchema>;

/**
 * The atlas page's one read, `GET /grids/{uuid}/overview`: the grid's name, every square as in the collection, and
 * the plots already aggregated in the database (a 50,000-micrograph session is ~400 numbers here, not 100,000).
 */
export const GridOverviewSchema = Type.Object({
  grid_uuid: Type.String(),
  name: Type.String({ description: "the grid's name" }),
  ctf_max_resolution: Type.Number({ description: 'a micrograph is counted good when its CTF max resolution is ≤ this (Å)' }),
  squares: Type.Array(AtlasSquareSchema, { description: 'every grid square of the grid' }),
  ctf_histogram: Type.Object(
    {
      bin_width: Type.Number({ description: 'Å; bin k counts results in [k·bin_width, (k+1)·bin_width)' }),
      counts: Type.Array(Type.Integer(), { description: 'micrographs per bin from 0 Å; the last bin also counts everything above it' }),
    },
    { description: 'CTF max resolution of every micrograph with a CTF estimate' },
  ),
  over_time: Type.Object(
    {
      t: Type.Array(Type.Number(), { description: "acquisition time of a bucket's last micrograph, ms since the epoch, ascending" }),
      micrographs: Type.Array(Type.Integer(), { description: 'micrographs with a CTF estimate acquired up to t' }),
      good: Type.Array(Type.Integer(), { description: 'good micrographs (CTF max resolution ≤ ctf_max_resolution) acquired up to t' }),
    },
    { description: 'cumulative counts in up to 400 equal slices of the acquisition time' },
  ),
  epu_default_order: Type.Union(
    [
      Type.Object({
        t: Type.Array(Type.Number(), { description: 'ms since the epoch on the acquisition-time axis of over_time, ascending' }),
        beam_time: Type.Array(Type.Number(), { description: 'beam time spent by then' }),
        good: Type.Array(Type.Integer(), { description: "good micrographs EPU's default order had by that beam time" }),
      }),
      Type.Null(),
    ],
    { description: "EPU's default order for comparison, as last stored by PUT /grids/{uuid}/epu_default_order; null when none was" },
  ),
});
export type GridOverview = Static<typeof GridOverviewSchema>;

/**
 * `PUT /grids/{uuid}/epu_default_order`: what EPU's default order (every square and hole in EPU's own order) collects
 * on this grid, played as a counterfactual by a simulation that knows the grid's hidden quality, for the atlas page
 * to draw beside what SmartEM collects. Each point is placed on the plot's acquisition-time axis by its sender (at the
 * time SmartEM's own session had spent the same beam time); `good` counts micrographs good by the grid's CTF limit.
 */
export const EpuDefaultOrderSchema = Type.Object(
  {
    points: Type.Array(
      Type.Object(
        {
          t: Type.Number({
            minimum: 0,
            description: 'ms since the epoch on the acquisition-time axis, not decreasing from point to point',
          }),
          beam_time: Type.Number({ minimum: 0, description: "beam time spent by EPU's default order (the simulation's units)" }),
          good: Type.Integer({ minimum: 0, description: 'good micrographs collected by then, not decreasing from point to point' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20_000, description: 'the whole curve so far, replacing what was stored' },
    ),
  },
  { additionalProperties: false },
);
export type EpuDefaultOrder = Static<typeof EpuDefaultOrderSchema>;

export const EpuDefaultOrderResultSchema = Type.Object({
  grid_uuid: Type.String(),
  points: Type.Integer({ description: 'points stored' }),
});
export type EpuDefaultOrderResult = Static<typeof EpuDefaultOrderResultSchema>;
