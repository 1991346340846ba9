/** EPU's default order played on a grid for comparison (`gridepudefaultorder`), one curve per grid. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { gridepudefaultorder } from '../db/schema.ts';

export interface EpuDefaultCurve {
  t: number[];
  beam_time: number[];
  good: number[];
}

/** Replaces the grid's curve (the table's trigger records a live event for the grid in the same statement). */
export async function saveEpuDefaultOrder(db: Db, gridUuid: string, curve: EpuDefaultCurve): Promise<void> {
  await db
    .insert(gridepudefaultorder)
    .values({ grid_uuid: gridUuid, curve })
    .onConflictDoUpdate({ target: gridepudefaultorder.grid_uuid, set: { curve, updated_at: new Date() } });
}

/** The grid's curve, null when none was stored. */
export async function readEpuDefaultOrder(db: Db, gridUuid: string): Promise<EpuDefaultCurve | null> {
  const rows = await db
    .select({ curve: gridepudefaultorder.curve })
    .from(gridepudefaultorder)
    .where(eq(gridepudefaultorder.grid_uuid, gridUuid));
  return rows[0]?.curve ?? null;
}
