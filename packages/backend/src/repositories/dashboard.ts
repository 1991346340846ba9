/**
 * The dashboard's aggregate reads: per grid square (with its atlas position) and per foil hole, what has been
 * collected and how good it is, in one query each (an atlas has up to ~5,000 squares; asking per square would be
 * thousands of requests, and the full grid-square records are ~600 bytes each where the atlas needs ~150).
 */
import { sql } from 'drizzle-orm';
import type { AtlasSquare, HoleCollection } from '@smartem/common';
import type { Db } from '../db/index.ts';

export interface MicrographPoint {
  /** Acquisition time, ms since the epoch. */
  t: number;
  ctf: number;
}

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (result as { rows: Row[] }).rows;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Every grid square of a grid with its atlas position and collection counts, as a JSON array built by the database:
 * one text value crosses from the database instead of 5,000 rows (row by row, an embedded PGlite spends ~10x the
 * query's time building them). Each square's holes and micrographs are counted through the indexes (LATERAL), a plan
 * that does not depend on table statistics (PGlite collects none unless told to).
 */
export async function squareCollectionJson(db: Db, gridUuid: string, ctfLimit: number): Promise<string> {
  const result = await db.execute(sql`
    SELECT coalesce(json_agg(json_build_object(
             'gridsquare_uuid', gs.uuid, 'gridsquare_id', gs.gridsquare_id,
             'center_x', gs.center_x, 'center_y', gs.center_y, 'size_width', gs.size_width, 'size_height', gs.size_height,
             'unusable', gs.unusable, 'foilholes', h.n, 'micrographs', m.micrographs, 'with_ctf', m.with_ctf,
             'good', m.good, 'mean_ctf', m.mean_ctf,
             'last_acquired', to_char(m.last_acquired AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), '[]')::text AS squares
      FROM gridsquare gs
      CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM foilhole fh WHERE fh.gridsquare_uuid = gs.uuid) h
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS micrographs,
               count(mg.ctf_max_resolution_estimate)::int AS with_ctf,
               (count(*) FILTER (WHERE mg.ctf_max_resolution_estimate <= ${ctfLimit}))::int AS good,
               avg(mg.ctf_max_resolution_estimate)::float8 AS mean_ctf,
               max(mg.acquisition_datetime) AS last_acquired
          FROM foilhole fh JOIN micrograph mg ON mg.foilhole_uuid = fh.uuid
         WHERE fh.gridsquare_uuid = gs.uuid) m
     WHERE gs.grid_uuid = ${gridUuid}`);
  return String(rowsOf(result)[0].squares);
}

/** Every grid square of a grid with its atlas position and collection counts. */
export async function squareCollection(db: Db, gridUuid: string, ctfLimit: number): Promise<AtlasSquare[]> {
  return JSON.parse(await squareCollectionJson(db, gridUuid, ctfLimit)) as AtlasSquare[];
}

/** A grid's micrographs with a CTF estimate (and `m.acquisition_datetime`, `m.ctf_max_resolution_estimate`). */
const gridCtfResults = (gridUuid: string) => sql`
  SELECT m.acquisition_datetime AS at, m.ctf_max_resolution_estimate AS ctf
    FROM micrograph m
    JOIN foilhole fh ON fh.uuid = m.foilhole_uuid
    JOIN gridsquare gs ON gs.uuid = fh.gridsquare_uuid
   WHERE gs.grid_uuid = ${gridUuid} AND m.ctf_max_resolution_estimate IS NOT NULL`;

export interface CtfPlots {
  /** Micrographs per CTF bin from 0 Å; the last bin also counts everything above it. */
  histogram: number[];
  /** Cumulative counts at each non-empty time slice's last acquisition (ms since the epoch). */
  overTime: { t: number[]; micrographs: number[]; good: number[] };
}

/**
 * A grid's CTF results as the plots show them, aggregated in one pass over them (GROUPING SETS): per CTF bin of
 * `binWidth` Å (`bins` of them), and per slice of `slices` equal slices of their acquisition times.
 */
export async function ctfPlots(
  db: Db,
  gridUuid: string,
  opts: { ctfLimit: number; binWidth: number; bins: number; slices: number },
): Promise<CtfPlots> {
  const { ctfLimit, binWidth, bins, slices } = opts;
  const result = await db.execute(sql`
    SELECT k_ctf, k_t, count(*)::int AS n, (count(*) FILTER (WHERE ctf <= ${ctfLimit}))::int AS good, max(t) AS t
      FROM (SELECT ctf, t, least(${bins - 1}, greatest(0, floor(ctf / ${binWidth})))::int AS k_ctf,
                   least(${slices - 1}, floor((t - t0) / greatest(t1 - t0, 1) * ${slices}))::int AS k_t
              FROM (SELECT r.ctf, (extract(epoch FROM r.at) * 1000)::float8 AS t,
                           min(r.at) OVER () AS at0, max(r.at) OVER () AS at1
                      FROM (${gridCtfResults(gridUuid)}) r) x
             CROSS JOIN LATERAL (SELECT (extract(epoch FROM at0) * 1000)::float8 AS t0, (extract(epoch FROM at1) * 1000)::float8 AS t1) span) y
     GROUP BY GROUPING SETS ((k_ctf), (k_t))`);
  const histogram = new Array<number>(bins).fill(0);
  const slicesSeen: Array<{ k: number; t: number; n: number; good: number }> = [];
  for (const r of rowsOf(result)) {
    if (r.k_ctf !== null) histogram[Number(r.k_ctf)] = Number(r.n);
    else if (r.k_t !== null) slicesSeen.push({ k: Number(r.k_t), t: Number(r.t), n: Number(r.n), good: Number(r.good) });
  }
  slicesSeen.sort((a, b) => a.k - b.k);
  const overTime: CtfPlots['overTime'] = { t: [], micrographs: [], good: [] };
  let n = 0;
  let good = 0;
  for (const s of slicesSeen) {
    overTime.t.push(s.t);
    overTime.micrographs.push((n += s.n));
    overTime.good.push((good += s.good));
  }
  return { histogram, overTime };
}

/** Every micrograph of a grid with a CTF estimate and an acquisition time, oldest first (for plots over time). */
export async function micrographPoints(db: Db, gridUuid: string): Promise<MicrographPoint[]> {
  const result = await db.execute(sql`
    SELECT (extract(epoch FROM m.acquisition_datetime) * 1000)::float8 AS t,
           m.ctf_max_resolution_estimate AS ctf
      FROM micrograph m
      JOIN foilhole fh ON fh.uuid = m.foilhole_uuid
      JOIN gridsquare gs ON gs.uuid = fh.gridsquare_uuid
     WHERE gs.grid_uuid = ${gridUuid}
       AND m.ctf_max_resolution_estimate IS NOT NULL
       AND m.acquisition_datetime IS NOT NULL
     ORDER BY m.acquisition_datetime`);
  return rowsOf(result).map((r) => ({ t: Number(r.t), ctf: Number(r.ctf) }));
}

/** Foil holes of a grid square that have micrographs, with their mean results. */
export async function holeCollection(db: Db, gridsquareUuid: string): Promise<HoleCollection[]> {
  const result = await db.execute(sql`
    SELECT fh.uuid AS foilhole_uuid,
           count(m.uuid)::int AS micrographs,
           avg(m.ctf_max_resolution_estimate) AS mean_ctf,
           avg(m.total_motion) AS mean_total_motion,
           sum(m.number_of_particles_picked)::int AS particles_picked
      FROM foilhole fh
      JOIN micrograph m ON m.foilhole_uuid = fh.uuid
     WHERE fh.gridsquare_uuid = ${gridsquareUuid}
     GROUP BY fh.uuid`);
  return rowsOf(result).map((r) => ({
    foilhole_uuid: String(r.foilhole_uuid),
    micrographs: Number(r.micrographs),
    mean_ctf: num(r.mean_ctf),
    mean_total_motion: num(r.mean_total_motion),
    particles_picked: num(r.particles_picked),
  }));
}

/** The grid's name, undefined when there is no such grid. */
export async function gridName(db: Db, gridUuid: string): Promise<string | undefined> {
  const rows = rowsOf(await db.execute(sql`SELECT name FROM grid WHERE uuid = ${gridUuid}`));
  return rows.length ? String(rows[0].name ?? '') : undefined;
}

export async function gridExists(db: Db, gridUuid: string): Promise<boolean> {
  return rowsOf(await db.execute(sql`SELECT 1 FROM grid WHERE uuid = ${gridUuid}`)).length > 0;
}

export async function gridSquareExists(db: Db, gridsquareUuid: string): Promise<boolean> {
  return rowsOf(await db.execute(sql`SELECT 1 FROM gridsquare WHERE uuid = ${gridsquareUuid}`)).length > 0;
}
