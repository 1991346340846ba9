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

/** Micrographs per CTF bin of `binWidth` Å from 0; the last of `bins` bins also counts everything above it. */
export async function ctfHistogram(db: Db, gridUuid: string, binWidth: number, bins: number): Promise<number[]> {
  const result = await db.execute(sql`
    SELECT least(${bins - 1}, greatest(0, floor(ctf / ${binWidth})))::int AS k, count(*)::int AS n
      FROM (${gridCtfResults(gridUuid)}) r
     GROUP BY 1`);
  const counts = new Array<number>(bins).fill(0);
  for (const r of rowsOf(result)) counts[Number(r.k)] = Number(r.n);
  return counts;
}

export interface OverTime {
  t: number[];
  micrographs: number[];
  good: number[];
}

/**
 * Cumulative counts of micrographs with a CTF estimate (and of good ones) in `slices` equal slices of their acquisition
 * time, at each non-empty slice's last acquisition.
 */
export async function ctfOverTime(db: Db, gridUuid: string, ctfLimit: number, slices: number): Promise<OverTime> {
  const out: OverTime = { t: [], micrographs: [], good: [] };
  const epochMs = sql`(extract(epoch FROM r.at) * 1000)::float8`;
  const [span] = rowsOf(await db.execute(sql`SELECT min(${epochMs}) AS t0, max(${epochMs}) AS t1 FROM (${gridCtfResults(gridUuid)}) r`));
  if (span?.t0 === null || span?.t0 === undefined) return out;
  const t0 = Number(span.t0);
  const width = Math.max(Number(span.t1) - t0, 1);
  const result = await db.execute(sql`
    SELECT max(t) AS t, (sum(count(*)) OVER (ORDER BY k))::int AS n, (sum(count(*) FILTER (WHERE ctf <= ${ctfLimit})) OVER (ORDER BY k))::int AS good
      FROM (SELECT ${epochMs} AS t, r.ctf,
                   least(${slices - 1}, floor((${epochMs} - ${t0}) / ${width} * ${slices}))::int AS k
              FROM (${gridCtfResults(gridUuid)}) r WHERE r.at IS NOT NULL) x
     GROUP BY k ORDER BY k`);
  for (const r of rowsOf(result)) {
    out.t.push(Number(r.t));
    out.micrographs.push(Number(r.n));
    out.good.push(Number(r.good));
  }
  return out;
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
