/** Atlas-tile ↔ grid-square positions: the original's link route and its batch upsert. They publish no events. */
import { and, eq } from 'drizzle-orm';
import type { BatchResult } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { atlastilegridsquareposition as positions } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { anyOf, bulkInsert } from './bulk.ts';
import { withRetry } from './batch-upsert.ts';
import { rowExists } from './entities.ts';
import { ENTITIES } from './entity-tables.ts';
import { changedKeys, type Row } from './rows.ts';
import { isForeignKeyViolation, isUniqueViolation } from './sql-errors.ts';

const pairKey = (tile: unknown, square: unknown) => `${String(tile)}/${String(square)}`;

export async function insertPosition(db: Db, row: Row): Promise<Row> {
  if (!(await rowExists(db, 'atlastile', String(row.atlastile_uuid)))) throw notFound('Atlas tile not found');
  if (!(await rowExists(db, 'gridsquare', String(row.gridsquare_uuid)))) throw notFound('Grid Square not found');
  try {
    const [stored] = await db
      .insert(positions)
      .values(row as typeof positions.$inferInsert)
      .returning();
    return stored as Row;
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict(`position of grid square ${String(row.gridsquare_uuid)} on atlas tile ${String(row.atlastile_uuid)} already exists`);
    if (isForeignKeyViolation(error)) throw notFound('Atlas tile or grid square not found');
    throw error;
  }
}

/** `requested_uuid`/`uuid` of a position result is `<atlastile_uuid>/<gridsquare_uuid>`. */
export async function upsertPositions(db: Db, items: readonly Row[]): Promise<BatchResult[]> {
  return withRetry(() =>
    db.transaction(async (tx) => {
      const tiles = new Set(
        (
          await tx
            .select({ uuid: ENTITIES.atlastile.columns.uuid })
            .from(ENTITIES.atlastile.table)
            .where(anyOf(ENTITIES.atlastile.columns.uuid, [...new Set(items.map((i) => String(i.atlastile_uuid)))]))
        ).map((r) => String(r.uuid)),
      );
      const squares = new Set(
        (
          await tx
            .select({ uuid: ENTITIES.gridsquare.columns.uuid })
            .from(ENTITIES.gridsquare.table)
            .where(anyOf(ENTITIES.gridsquare.columns.uuid, [...new Set(items.map((i) => String(i.gridsquare_uuid)))]))
        ).map((r) => String(r.uuid)),
      );
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
          const missing = tiles.has(String(item.atlastile_uuid))
            ? `GridSquare ${String(item.gridsquare_uuid)} not found (gridsquare_uuid)`
            : `AtlasTile ${String(item.atlastile_uuid)} not found (atlastile_uuid)`;
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
          await tx
            .update(positions)
            .set(item as Partial<typeof positions.$inferInsert>)
            .where(
              and(eq(positions.atlastile_uuid, String(item.atlastile_uuid)), eq(positions.gridsquare_uuid, String(item.gridsquare_uuid))),
            );
        }
        out.push({ requested_uuid: key, uuid: key, outcome: 'updated' });
      }
      await bulkInsert(tx, positions, [...inserts.values()]);
      return out;
    }),
  );
}
