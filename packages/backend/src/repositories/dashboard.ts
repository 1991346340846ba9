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
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** Every grid square of a grid with its atlas position and collection counts. */
export async function squareCollection(db: Db, gridUuid: string, ctfLimit: number): Promise<AtlasSquare[]> {
  const result = await db.execute(sql`
    SELECT gs.uuid AS gridsquare_uuid, gs.gridsquare_id, gs.center_x, gs.center_y, gs.size_width, gs.size_height, gs.unusable,
           count(DISTINCT fh.uuid)::int AS foilholes,
           count(m.uuid)::int AS micrographs,
           count(m.ctf_max_resolution_estimate)::int AS with_ctf,
           (count(*) FILTER (WHERE m.ctf_max_resolution_estimate <= ${ctfLimit}))::int AS good,
           avg(m.ctf_max_resolution_estimate) AS mean_ctf,
           max(m.acquisition_datetime) AS last_acquired
      FROM gridsquare gs
      LEFT JOIN foilhole fh ON fh.gridsquare_uuid = gs.uuid
      LEFT JOIN micrograph m ON m.foilhole_uuid = fh.uuid
     WHERE gs.grid_uuid = ${gridUuid}
     GROUP BY gs.uuid`);
  return rowsOf(result).map((r) => ({
    gridsquare_uuid: String(r.gridsquare_uuid),
    gridsquare_id: String(r.gridsquare_id),
    center_x: num(r.center_x),
    center_y: num(r.center_y),
    size_width: num(r.size_width),
    size_height: num(r.size_height),
    unusable: r.unusable === null || r.unusable === undefined ? null : Boolean(r.unusable),
    foilholes: Number(r.foilholes),
    micrographs: Number(r.micrographs),
    with_ctf: Number(r.with_ctf),
    good: Number(r.good),
    mean_ctf: num(r.mean_ctf),
    last_acquired: iso(r.last_acquired),
  }));
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

export async function gridExists(db: Db, gridUuid: string): Promise<boolean> {
  return rowsOf(await db.execute(sql`SELECT 1 FROM grid WHERE uuid = ${gridUuid}`)).length > 0;
}

export async function gridSquareExists(db: Db, gridsquareUuid: string): Promise<boolean> {
  return rowsOf(await db.execute(sql`SELECT 1 FROM gridsquare WHERE uuid = ${gridsquareUuid}`)).length > 0;
}
