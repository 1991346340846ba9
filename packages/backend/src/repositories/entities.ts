/**
 * Single-entity reads and writes. Every write runs in one transaction with its outbox event; a duplicate uuid or
 * natural id is a ConflictError, a missing parent a NotFoundError naming it.
 */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { entityEvent, type EntityKind } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { conflict, notFound } from '../errors.ts';
import { insertOutbox } from './outbox.ts';
import { ENTITIES, type EntityDef } from './entity-tables.ts';
import type { Row } from './rows.ts';
import { isForeignKeyViolation, isUniqueViolation } from './sql-errors.ts';

export interface ListOptions {
  /** Equality filters on columns (parent uuid, status, natural id…). */
  where?: Record<string, unknown>;
  limit?: number;
  offset?: number;
}

const uuidColumn = (def: EntityDef) => def.columns.uuid as PgColumn;

export async function findRow(db: Db, kind: EntityKind, uuid: string): Promise<Row | undefined> {
  const def = ENTITIES[kind];
  const rows = await db
    .select()
    .from(def.table)
    .where(eq(uuidColumn(def), uuid))
    .limit(1);
  return rows[0] as Row | undefined;
}

export async function rowExists(db: Db, kind: EntityKind, uuid: string): Promise<boolean> {
  const def = ENTITIES[kind];
  const rows = await db
    .select({ uuid: uuidColumn(def) })
    .from(def.table)
    .where(eq(uuidColumn(def), uuid))
    .limit(1);
  return rows.length > 0;
}

/** Rows ordered by uuid, filtered by column equality, paged. */
export async function listRows(db: Db, kind: EntityKind, options: ListOptions = {}): Promise<Row[]> {
  const def = ENTITIES[kind];
  const conditions: SQL[] = [];
  for (const [key, value] of Object.entries(options.where ?? {})) {
    if (value !== undefined) conditions.push(eq(def.columns[key] as PgColumn, value));
  }
  let query = db
    .select()
    .from(def.table)
    .where(and(...conditions))
    .orderBy(asc(uuidColumn(def)))
    .$dynamic();
  if (options.limit !== undefined) query = query.limit(options.limit);
  if (options.offset !== undefined) query = query.offset(options.offset);
  return (await query) as Row[];
}

/** "Grid Square gs-1 not found (gridsquare_uuid)": the original's wording for a missing parent. */
export function missingParent(kind: EntityKind, parentUuid: unknown): Error {
  const def = ENTITIES[kind];
  const parent = ENTITIES[def.parent!.key];
  return notFound(`${parent.notFound.replace(/ not found$/, '')} ${String(parentUuid)} not found (${def.parent!.column})`);
}

function translateWriteError(def: EntityDef, row: Row, error: unknown): never {
  if (isUniqueViolation(error)) {
    const natural = def.natural && row[def.natural] ? ` or ${def.natural} ${String(row[def.natural])} in this parent` : '';
    throw conflict(`${def.wire.name} with uuid ${String(row.uuid)}${natural} already exists`);
  }
  if (isForeignKeyViolation(error) && def.parent) throw missingParent(def.key, row[def.parent.column]);
  throw error;
}

/** Inserts one row (plus `children`, each with its event) and the `.created` events in one transaction. */
export async function insertRow(db: Db, kind: EntityKind, row: Row, children: Array<{ kind: EntityKind; row: Row }> = []): Promise<Row> {
  const def = ENTITIES[kind];
  try {
    return await db.transaction(async (tx) => {
      const [inserted] = (await tx.insert(def.table).values(row).returning()) as Row[];
      const events = [entityEvent(def.event, 'created', inserted as Row & { uuid: string })];
      for (const child of children) {
        const childDef = ENTITIES[child.kind];
        const [c] = (await tx.insert(childDef.table).values(child.row).returning()) as Row[];
        events.push(entityEvent(childDef.event, 'created', c as Row & { uuid: string }));
      }
      await insertOutbox(tx, events);
      return inserted;
    });
  } catch (error) {
    translateWriteError(def, row, error);
  }
}

/** Applies `changes` (only the keys given) with its `.updated` event; undefined when the row does not exist. */
export async function updateRow(db: Db, kind: EntityKind, uuid: string, changes: Row): Promise<Row | undefined> {
  const def = ENTITIES[kind];
  try {
    return await db.transaction(async (tx) => {
      const rows = Object.keys(changes).length
        ? ((await tx
            .update(def.table)
            .set(changes)
            .where(eq(uuidColumn(def), uuid))
            .returning()) as Row[])
        : ((await tx
            .select()
            .from(def.table)
            .where(eq(uuidColumn(def), uuid))) as Row[]);
      if (rows.length === 0) return undefined;
      await insertOutbox(tx, [entityEvent(def.event, 'updated', rows[0] as Row & { uuid: string })]);
      return rows[0];
    });
  } catch (error) {
    translateWriteError(def, { ...changes, uuid }, error);
  }
}

/** Deletes the row and, through ON DELETE CASCADE, everything under it, with its `.deleted` event; false when absent. */
export async function deleteRow(db: Db, kind: EntityKind, uuid: string): Promise<boolean> {
  const def = ENTITIES[kind];
  return db.transaction(async (tx) => {
    const rows = await tx
      .delete(def.table)
      .where(eq(uuidColumn(def), uuid))
      .returning({ uuid: uuidColumn(def) });
    if (rows.length === 0) return false;
    await insertOutbox(tx, [entityEvent(def.event, 'deleted', { uuid })]);
    return true;
  });
}
