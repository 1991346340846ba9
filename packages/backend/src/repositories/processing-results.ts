/** Processing results on the micrograph row, with the outbox event announcing them, in one transaction. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { foilhole, gridsquare, micrograph } from '../db/schema.ts';
import type { BusMessage } from '../bus/types.ts';
import { insertOutbox } from './outbox.ts';

export type MicrographRow = typeof micrograph.$inferSelect;

/** The locked micrograph and where it sits (square and grid, null when it hangs off no foil hole). */
export interface LockedMicrograph {
  row: MicrographRow;
  gridsquare_uuid: string | null;
  grid_uuid: string | null;
}

/** What to write: the micrograph columns to set and the event to queue; undefined writes nothing. */
export type ResultChange = { columns: Partial<MicrographRow>; event: BusMessage } | undefined;

export type StoredResult = { found: false } | { found: true; changed: boolean; grid_uuid: string | null };

/**
 * Locks the micrograph row (`FOR UPDATE`, so concurrent results for it apply one after the other), lets `change`
 * decide from the current row what to write, and writes it with its event.
 */
export async function updateMicrographResult(
  db: Db,
  micrographUuid: string,
  change: (locked: LockedMicrograph) => ResultChange,
): Promise<StoredResult> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ row: micrograph, gridsquare_uuid: foilhole.gridsquare_uuid, grid_uuid: gridsquare.grid_uuid })
      .from(micrograph)
      .leftJoin(foilhole, eq(foilhole.uuid, micrograph.foilhole_uuid))
      .leftJoin(gridsquare, eq(gridsquare.uuid, foilhole.gridsquare_uuid))
      .where(eq(micrograph.uuid, micrographUuid))
      .for('update', { of: micrograph });
    const locked = rows[0];
    if (!locked) return { found: false as const };
    const write = change(locked);
    if (!write) return { found: true as const, changed: false, grid_uuid: locked.grid_uuid };
    await tx.update(micrograph).set(write.columns).where(eq(micrograph.uuid, micrographUuid));
    await insertOutbox(tx, [write.event]);
    return { found: true as const, changed: true, grid_uuid: locked.grid_uuid };
  });
}
