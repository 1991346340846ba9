/** Atlas-tile ↔ grid-square positions: the original's link route and its batch upsert. They publish no events. */
import { and, eq } from 'drizzle-orm';
import { anyOf, bulkInsert } from '../../repositories/bulk.ts';
import type { BatchResult } from '@smartem/common';
import { atlastilegridsquareposition as positions } from '../../db/schema.ts';
import { ENTITIES } from '../entities.ts';
import { changedKeys, type Row } from '../convert.ts';
import { conflict, isForeignKeyViolation, isUniqueViolation, notFound } from '../errors.ts';
import { withRetry } from './batch-upsert.ts';
import { exists, type Store } from './crud.ts';

const pairKey = (tile: unknown, square: unknown) => `${String(tile)}/${String(square)}`;

export async function createPosition(store: Store, row: Row): Promise<Row> {
  if (!(await exists(store.db, ENTITIES.atlastile, String(row.atlastile_uuid)))) throw notFound('Atlas tile not found');
  if (!(await exists(store.db, ENTITIES.gridsquare, String(row.gridsquare_uuid)))) throw notFound('Grid Square not found');
  try {
    const [stored] = await store.db.insert(positions).values(row as typeof positions.$inferInsert).returning();
    return stored as Row;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`position of grid square ${String(row.gridsquare_uuid)} on atlas tile ${String(row.atlastile_uuid)} already exists`);
    if (isForeignKeyViolation(error)) throw notFound('Atlas tile or grid square not found');
    throw error;
  }
}

/** `requested_uuid`/`uuid` of a position result is `<atlastile_uuid>/<gridsquare_uuid>`. */
export async function batchUpsertPositions(store: Store, items: readonly Row[]): Promise<BatchResult[]> {
  const results = await withRetry(() =>
    store.db.transaction(async (tx) => {
      const tiles = new Set((await tx.select({ uuid: ENTITIES.atlastile.columns.uuid }).from(ENTITIES.atlastile.table)
        .where(anyOf(ENTITIES.atlastile.columns.uuid, [...new Set(items.map((i) => String(i.atlastile_uuid)))]))).map((r) => String(r.uuid)));
      const squares = new Set((await tx.select({ uuid: ENTITIES.gridsquare.columns.uuid }).from(ENTITIES.gridsquare.table)
        .where(anyOf(ENTITIES.gridsquare.columns.uuid, [...new Set(items.map((i) => String(i.gridsquare_uuid)))]))).map((r) => String(r.uuid)));
      const stored = new Map<string, Row>();
      const tileList = [...tiles];
      if (tileList.length > 0) {
        for (const r of await tx.select().from(positions).where(anyOf(positions.atlastile_uuid, tileList))) {
          stored.set(pairKey(r.atlastile_uuid, r.gridsquare_uuid), r as Row);
        }
      }
      const out: BatchResult[] = [];
      const inserts = new Map<string, Row>();
      for (const item of items) {
        const key = pairKey(item.atlastile_uuid, item.gridsquare_uuid);
        if (!tiles.has(String(item.atlastile_uuid)) || !squares.has(String(item.gridsquare_uuid))) {
          const missing = tiles.has(String(item.atlastile_uuid)) ? `GridSquare ${String(item.gridsquare_uuid)} not found (gridsquare_uuid)` : `AtlasTile ${String(item.atlastile_uuid)} not found (atlastile_uuid)`;
          out.push({ requested_uuid: key, uuid: key, outcome: 'rejected', status: 404, detail: missing });
          continue;
        }
        const existing = stored.get(key);
        if (!existing) {
          const row = { ...item };
          inserts.set(key, row);
          stored.set(key, row);
          out.push({ requested_uuid: key, uuid: key, outcome: 'created' });
          continue;
        }
        const changed = changedKeys(existing, item);
        if (changed.length === 0) {
          out.push({ requested_uuid: key, uuid: key, outcome: 'unchanged' });
          continue;
        }
        Object.assign(existing, item);
        if (!inserts.has(key)) {
          await tx.update(positions).set(item as Partial<typeof positions.$inferInsert>)
            .where(and(eq(positions.atlastile_uuid, String(item.atlastile_uuid)), eq(positions.gridsquare_uuid, String(item.gridsquare_uuid))));
        }
        out.push({ requested_uuid: key, uuid: key, outcome: 'updated' });
      }
      await bulkInsert(tx, positions, [...inserts.values()]);
      return out;
    }),
  );
  if (results.some((r) => r.outcome === 'created' || r.outcome === 'updated')) store.onCommit?.();
  return results;
}
