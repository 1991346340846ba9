import { desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { atlastilegridsquareposition, foilhole, gridsquare, micrograph, qualityprediction } from '../../db/schema.ts';
import {
  ctfMargin, ctfMarginFloor, DecisionGrid, epuHints, holeQuality, logit, micrographQuality, RunningStats, squareHint,
  type HoleInput, type Metric, type QualityConfig, type QualityVerdict, type SquareInput,
} from '@smartem/decisions';

/** A grid as the decision engine sees it, built from the database: the engine's model plus the rows' identities. */
export interface LiveGrid {
  gridUuid: string;
  grid: DecisionGrid;
  squareNaturalIds: string[];
  holeNaturalIds: string[];
  /** Hole of the most recently acquired micrograph (the microscope's position), −1 when nothing was acquired. */
  current: number;
  micrographs: number;
  decidedHoles: number;
}

/**
 * Rows as one JSON array in a single text value: the database drivers (PGlite above all) spend far more time decoding
 * thousands of rows field by field than PostgreSQL spends building the array or JSON.parse reading it.
 */
async function jsonRows(db: Db, query: SQL): Promise<unknown[][]> {
  const result = (await db.execute(query)) as unknown as { rows: Array<{ j: string }> };
  return JSON.parse(result.rows[0]?.j ?? '[]') as unknown[][];
}

/** A double precision column from JSON: NaN and ±Infinity arrive as strings. */
function float(v: unknown): number | null {
  return v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v);
}

/** Loads one grid's squares, holes, micrograph results and latest model predictions (a handful of queries). */
export async function loadLiveGrid(db: Db, gridUuid: string, config: QualityConfig): Promise<LiveGrid> {
  const squares = await db
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
    .orderBy(gridsquare.uuid);
  const squareInputs = new Map<string, SquareInput & { naturalId: string; atlasQuality: number | null; atlasCategory: number | null }>();
  for (const s of squares) {
    if (!squareInputs.has(s.uuid)) {
      squareInputs.set(s.uuid, {
        id: s.uuid,
        tile: s.tile ?? undefined,
        hint: squareHint(s.selected, s.unusable),
        naturalId: s.id,
        atlasQuality: s.atlasQuality,
        atlasCategory: s.atlasCategory,
      });
    }
  }
  const gridCategories = [...new Set(squares.map((s) => s.atlasCategory).filter((c): c is number => c !== null))].sort((a, b) => a - b);
  const squareUuids = [...squareInputs.keys()];
  const holes =
    squareUuids.length === 0
      ? []
      : (
          await jsonRows(
            db,
            sql`SELECT coalesce(json_agg(json_build_array(f.uuid, f.foilhole_id, f.gridsquare_uuid, f.x_location, f.y_location, f.center_x, f.center_y,
                  f.is_near_grid_bar, f.selected, f.position_quality) ORDER BY f.uuid), '[]')::text AS j
                FROM ${foilhole} f JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid WHERE g.grid_uuid = ${gridUuid}`,
          )
        ).map((r) => ({
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
  const holeUuids = holes.map((h) => h.uuid);
  const mics =
    holeUuids.length === 0
      ? []
      : (
          await jsonRows(
            db,
            sql`SELECT coalesce(json_agg(json_build_array(m.foilhole_uuid, floor(extract(epoch FROM m.acquisition_datetime) * 1000),
                  m.total_motion, m.ctf_max_resolution_estimate, m.number_of_particles_picked)), '[]')::text AS j
                FROM ${micrograph} m JOIN ${foilhole} f ON f.uuid = m.foilhole_uuid JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid
                WHERE g.grid_uuid = ${gridUuid}`,
          )
        ).map((r) => ({
          hole: r[0] as string | null,
          atMs: r[1] as number | null, // milliseconds since the epoch, truncated like a Date of the timestamp
          total_motion: float(r[2]),
          ctf_max_resolution_estimate: float(r[3]),
          number_of_particles_picked: r[4] as number | null,
        }));
  const predictions =
    holeUuids.length === 0
      ? []
      : (
          await jsonRows(
            db,
            sql`SELECT coalesce(json_agg(json_build_array(q.prediction_model_name, q.foilhole_uuid, q.value) ORDER BY q.timestamp DESC, q.id DESC), '[]')::text AS j
                FROM ${qualityprediction} q JOIN ${foilhole} f ON f.uuid = q.foilhole_uuid JOIN ${gridsquare} g ON g.uuid = f.gridsquare_uuid
                WHERE g.grid_uuid = ${gridUuid}`,
          )
        ).map((r) => ({ model: r[0] as string, hole: r[1] as string | null, value: float(r[2]) as number }));
  const squarePredictions =
    squareUuids.length === 0
      ? []
      : await db
          .select({ model: qualityprediction.prediction_model_name, square: qualityprediction.gridsquare_uuid, value: qualityprediction.value })
          .from(qualityprediction)
          .innerJoin(gridsquare, eq(gridsquare.uuid, qualityprediction.gridsquare_uuid))
          .where(eq(gridsquare.grid_uuid, gridUuid))
          .orderBy(desc(qualityprediction.timestamp), desc(qualityprediction.id));

  // Latest prediction per (model, hole), falling back to the latest per (model, square).
  const holeScores = new Map<string, Record<string, number>>();
  for (const p of predictions) {
    if (!p.hole) continue;
    const scores = holeScores.get(p.hole) ?? {};
    if (scores[p.model] === undefined) scores[p.model] = logit(p.value);
    holeScores.set(p.hole, scores);
  }
  const squareScores = new Map<string, Record<string, number>>();
  for (const p of squarePredictions) {
    if (!p.square) continue;
    const scores = squareScores.get(p.square) ?? {};
    if (scores[p.model] === undefined) scores[p.model] = logit(p.value);
    squareScores.set(p.square, scores);
  }

  const stats: Record<Metric, RunningStats> = {
    total_motion: new RunningStats(),
    ctf_max_resolution_estimate: new RunningStats(),
    number_of_particles_picked: new RunningStats(),
  };
  for (const m of mics) {
    for (const k of Object.keys(stats) as Metric[]) {
      const v = m[k];
      if (v !== null && Number.isFinite(v)) stats[k].add(v);
    }
  }
  const statsNow = Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, s.stats]));
  const verdicts = new Map<string, QualityVerdict[]>();
  const ctfs = new Map<string, Array<number | null>>();
  let latest: { hole: string; at: number } | undefined;
  for (const m of mics) {
    if (!m.hole) continue;
    const list = verdicts.get(m.hole) ?? [];
    list.push(micrographQuality(m, statsNow, config));
    verdicts.set(m.hole, list);
    const holeCtfs = ctfs.get(m.hole) ?? [];
    holeCtfs.push(m.ctf_max_resolution_estimate);
    ctfs.set(m.hole, holeCtfs);
    const at = m.atMs ?? 0;
    if (!latest || at > latest.at) latest = { hole: m.hole, at };
  }

  const holeInputs: HoleInput[] = holes
    .filter((h) => h.square !== null)
    .map((h) => ({
      id: h.uuid,
      square: h.square!,
      x: h.x ?? h.cx ?? 0,
      y: h.y ?? h.cy ?? 0,
      predictions: { ...squareScores.get(h.square!), ...holeScores.get(h.uuid) },
      hints: epuHints(squareInputs.get(h.square!) ?? { atlasQuality: null, atlasCategory: null }, h.positionQuality, gridCategories),
      // EPU deselected the hole (its own filters) or flagged it near a grid bar.
      epuSelected: !(h.nearBar || h.selected === false),
    }));
  const grid = new DecisionGrid({ squares: [...squareInputs.values()], holes: holeInputs, marginFloor: ctfMarginFloor(config.ctfMaxResolution) });
  let decidedHoles = 0;
  for (const [holeUuid, list] of verdicts) {
    const index = grid.holeIndex.get(holeUuid);
    if (index === undefined) continue;
    const q = holeQuality(list);
    if (q === undefined) grid.markAcquired(index);
    else {
      // The CTF margin beside the quality: the learner uses it only where it agrees with the quality.
      grid.observe(index, q, ctfMargin(ctfs.get(holeUuid) ?? [], config.ctfMaxResolution));
      decidedHoles++;
    }
  }
  const byUuid = new Map(holes.map((h) => [h.uuid, h.id]));
  return {
    gridUuid,
    grid,
    squareNaturalIds: grid.squareIds.map((u) => squareInputs.get(u)?.naturalId ?? ''),
    holeNaturalIds: grid.holeIds.map((u) => byUuid.get(u) ?? ''),
    current: latest ? (grid.holeIndex.get(latest.hole) ?? -1) : -1,
    micrographs: mics.length,
    decidedHoles,
  };
}
