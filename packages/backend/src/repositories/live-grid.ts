/**
 * The live grid load: one grid's squares, holes, micrograph results and model predictions as rows, in a handful of
 * statements (their SQL is checked in as `sql/live-grid.sql`; `test/repositories-sql.test.ts` fails when it changes).
 */
import { desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { atlastilegridsquareposition, foilhole, grid, gridsquare, micrograph, qualityprediction } from '../db/schema.ts';

export interface SquareRow {
  uuid: string;
  id: string;
  selected: boolean | null;
  unusable: boolean | null;
  atlasQuality: number | null;
  atlasCategory: number | null;
  /** The atlas tile the square sits on (one row per tile position; null when it has none). */
  tile: string | null;
}

export interface HoleRow {
  uuid: string;
  id: string;
  square: string | null;
  x: number | null;
  y: number | null;
  cx: number | null;
  cy: number | null;
  nearBar: boolean;
  selected: boolean | null;
  positionQuality: number | null;
}

export interface MicrographRow {
  hole: string | null;
  /** Milliseconds since the epoch, truncated like a Date of the timestamp. */
  atMs: number | null;
  total_motion: number | null;
  ctf_max_resolution_estimate: number | null;
  number_of_particles_picked: number | null;
}

export interface PredictionRow {
  model: string;
  /** The hole (hole predictions) or square (square predictions) predicted. */
  target: string | null;
  value: number;
}

export interface LiveGridRows {
  squares: SquareRow[];
  holes: HoleRow[];
  micrographs: MicrographRow[];
  /** Newest first. */
  holePredictions: PredictionRow[];
  /** Newest first. */
  squarePredictions: PredictionRow[];
}

/** A double precision column from JSON: NaN and ±Infinity arrive as strings. */
function float(v: unknown): number | null {
  return v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v);
}

/**
 * The statements of the load. Holes, micrographs and hole predictions come back as one JSON array in a single text
 * value: the database drivers (PGlite above all) spend far more time decoding thousands of rows field by field than
 * PostgreSQL spends building the array or JSON.parse reading it.
 */
export function liveGridStatements(db: Db, gridUuid: string) {
  return {
    squares: db
      .select({
        uuid: gridsquare.uuid,
        id: gridsquare.gridsquare_id,
        selected: gridsquare.selected,
        unusable: gridsquare.unusable,
        atlasQuality: gridsquare.atlas_quality,
        atlasCategory: gridsquare.atlas_category,
        tile: atlastilegridsquareposition.atlastile_uuid,
      })
      .from(gridsquare)
      .leftJoin(atlastilegridsquareposition, eq(atlastilegridsquareposition.gridsquare_uuid, gridsquare.uuid))
      .where(eq(gridsquare.grid_uuid, gridUuid))
      .orderBy(gridsquare.uuid),
    holes: sql`SELECT coalesce(json_agg(json_build_array(f.uuid, f.foilhole_id, f.gridsquare_uuid, f.x_location, f.y_location, f.center_x, f.center_y,
        f.is_near_grid_bar, f.selected, f.position_quality) ORDER BY f.uuid), '[]')::text AS j
      FROM ${foilhole} f JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid WHERE g.grid_uuid = ${gridUuid}`,
    micrographs: sql`SELECT coalesce(json_agg(json_build_array(m.foilhole_uuid, floor(extract(epoch FROM m.acquisition_datetime) * 1000),
        m.total_motion, m.ctf_max_resolution_estimate, m.number_of_particles_picked)), '[]')::text AS j
      FROM ${micrograph} m JOIN ${foilhole} f ON f.uuid = m.foilhole_uuid JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid
      WHERE g.grid_uuid = ${gridUuid}`,
    holePredictions: sql`SELECT coalesce(json_agg(json_build_array(q.prediction_model_name, q.foilhole_uuid, q.value) ORDER BY q.timestamp DESC, q.id DESC), '[]')::text AS j
      FROM ${qualityprediction} q JOIN ${foilhole} f ON f.uuid = q.foilhole_uuid JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid
      WHERE g.grid_uuid = ${gridUuid}`,
    squarePredictions: db
      .select({ model: qualityprediction.prediction_model_name, target: qualityprediction.gridsquare_uuid, value: qualityprediction.value })
      .from(qualityprediction)
      .innerJoin(gridsquare, eq(gridsquare.uuid, qualityprediction.gridsquare_uuid))
      .where(eq(gridsquare.grid_uuid, gridUuid))
      .orderBy(desc(qualityprediction.timestamp), desc(qualityprediction.id)),
  };
}

async function jsonRows(db: Db, query: SQL): Promise<unknown[][]> {
  const result = (await db.execute(query)) as unknown as { rows: Array<{ j: string }> };
  return JSON.parse(result.rows[0]?.j ?? '[]') as unknown[][];
}

/** Loads one grid's rows (empty lists for a grid without squares or holes). */
export async function loadLiveGridRows(db: Db, gridUuid: string): Promise<LiveGridRows> {
  const q = liveGridStatements(db, gridUuid);
  const squares = await q.squares;
  if (squares.length === 0) return { squares, holes: [], micrographs: [], holePredictions: [], squarePredictions: [] };
  const holes = (await jsonRows(db, q.holes)).map((r) => ({
    uuid: r[0] as string,
    id: r[1] as string,
    square: r[2] as string | null,
    x: r[3] as number | null,
    y: r[4] as number | null,
    cx: float(r[5]),
    cy: float(r[6]),
    nearBar: r[7] as boolean,
    selected: r[8] as boolean | null,
    positionQuality: float(r[9]),
  }));
  const squarePredictions = await q.squarePredictions;
  if (holes.length === 0) return { squares, holes, micrographs: [], holePredictions: [], squarePredictions };
  const micrographs = (await jsonRows(db, q.micrographs)).map((r) => ({
    hole: r[0] as string | null,
    atMs: r[1] as number | null,
    total_motion: float(r[2]),
    ctf_max_resolution_estimate: float(r[3]),
    number_of_particles_picked: r[4] as number | null,
  }));
  const holePredictions = (await jsonRows(db, q.holePredictions)).map((r) => ({
    model: r[0] as string,
    target: r[1] as string | null,
    value: float(r[2]) as number,
  }));
  return { squares, holes, micrographs, holePredictions, squarePredictions };
}

export async function gridExists(db: Db, gridUuid: string): Promise<boolean> {
  const found = await db.select({ uuid: grid.uuid }).from(grid).where(eq(grid.uuid, gridUuid)).limit(1);
  return found.length > 0;
}

/** The grid a square belongs to; undefined when the square does not exist. */
export async function gridOfSquare(db: Db, squareUuid: string): Promise<string | undefined> {
  const found = await db.select({ grid: gridsquare.grid_uuid }).from(gridsquare).where(eq(gridsquare.uuid, squareUuid)).limit(1);
  return found[0]?.grid ?? undefined;
}
