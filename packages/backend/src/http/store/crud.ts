/**
 * Single-entity reads and writes for the original's routes. Every write runs in one transaction with its outbox
 * event; `onCommit` wakes the relay afterwards.
 */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { entityEvent } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { insertOutbox } from '../../outbox/outbox.ts';
import type { EntityDef } from '../entities.ts';
import { ENTITIES } from '../entities.ts';
import type { Row } from '../convert.ts';
import { conflict, isForeignKeyViolation, isUniqueViolation, notFound } from '../errors.ts';
import { countIngested } from '../../metrics.ts';

export interface Store {
  db: Db;
  onCommit?: () => void;
}

export interface ListOptions {
  /** Equality filters on columns (parent uuid, status, natural id…). */
  where?: Record<string, unknown>;
  limit?: number;
  offset?: number;
}

const uuidColumn = (def: EntityDef) => def.columns.uuid as PgColumn;

export async function findOne(db: Db, def: EntityDef, uuid: string): Promise<Row | undefined> {
  const rows = await db.select().from(def.table).where(eq(uuidColumn(def), uuid)).limit(1);
  return rows[0] as Row | undefined;
}

export async function exists(db: Db, def: EntityDef, uuid: string): Promise<boolean> {
  const rows = await db.select({ uuid: uuidColumn(def) }).from(def.table).where(eq(uuidColumn(def), uuid)).limit(1);
  return rows.length > 0;
}

export async function list(db: Db, def: EntityDef, options: ListOptions = {}): Promise<Row[]> {
  const conditions: SQL[] = [];
  for (const [key, value] of Object.entries(options.where ?? {})) {
    if (value !== undefined) conditions.push(eq(def.columns[key] as PgColumn, value));
  }
  let query = db.select().from(def.table).where(and(...conditions)).orderBy(asc(uuidColumn(def))).$dynamic();
  if (options.limit !== undefined) query = query.limit(options.limit);
  if (options.offset !== undefined) query = query.offset(options.offset);
  return (await query) as Row[];
}

/** 404 naming the parent when `uuid` is not a stored row of the parent entity. */
export async function requireParent(db: Db, def: EntityDef, parentUuid: unknown): Promise<void> {
  if (!def.parent || parentUuid === null || parentUuid === undefined) return;
  const parentDef = ENTITIES[def.parent.key];
  if (!(await exists(db, parentDef, String(parentUuid)))) {
    throw notFound(`${parentDef.notFound.replace(/ not found$/, '')} ${String(parentUuid)} not found (${def.parent.column})`);
  }
}

function translateWriteError(def: EntityDef, row: Row, error: unknown): never {
  if (isUniqueViolation(error)) {
    const natural = def.natural && row[def.natural] ? ` or ${def.natural} ${String(row[def.natural])} in this parent` : '';
    throw conflict(`${def.wire.name} with uuid ${String(row.uuid)}${natural} already exists`);
  }
  if (isForeignKeyViolation(error) && def.parent) {
    throw notFound(`${ENTITIES[def.parent.key].notFound.replace(/ not found$/, '')} ${String(row[def.parent.column])} not found (${def.parent.column})`);
  }
  throw error;
}

/** Inserts one row (plus `children`, each with its event) and the `.created` events in one transaction. */
export async function createOne(
  store: Store,
  def: EntityDef,
  row: Row,
  children: Array<{ def: EntityDef; row: Row }> = [],
): Promise<Row> {
  if (def.defaultStatus && row.status == null) row.status = def.defaultStatus;
  let stored: Row;
  try {
    stored = await store.db.transaction(async (tx) => {
      const [inserted] = (await tx.insert(def.table).values(row).returning()) as Row[];
      const events = [entityEvent(def.event, 'created', inserted as Row & { uuid: string })];
      for (const child of children) {
        const [c] = (await tx.insert(child.def.table).values(child.row).returning()) as Row[];
        events.push(entityEvent(child.def.event, 'created', c as Row & { uuid: string }));
      }
      await insertOutbox(tx, events);
      return inserted;
    });
  } catch (error) {
    translateWriteError(def, row, error);
  }
  store.onCommit?.();
  countIngested(def.event, [{ outcome: 'created' }, ...children.map(() => ({ outcome: 'created' }))]);
  return stored;
}

/** Applies `changes` (only the keys sent); 404 when the row does not exist. Publishes `.updated`. */
export async function updateOne(store: Store, def: EntityDef, uuid: string, changes: Row): Promise<Row> {
  let stored: Row | undefined;
  try {
    stored = await store.db.transaction(async (tx) => {
      const rows = Object.keys(changes).length
        ? ((await tx.update(def.table).set(changes).where(eq(uuidColumn(def), uuid)).returning()) as Row[])
        : ((await tx.select().from(def.table).where(eq(uuidColumn(def), uuid))) as Row[]);
      if (rows.length === 0) return undefined;
      await insertOutbox(tx, [entityEvent(def.event, 'updated', rows[0] as Row & { uuid: string })]);
      return rows[0];
    });
  } catch (error) {
    translateWriteError(def, { ...changes, uuid }, error);
  }
  if (!stored) throw notFound(def.notFound);
  store.onCommit?.();
  countIngested(def.event, [{ outcome: 'updated' }]);
  return stored;
}

/** Deletes the row and, through the foreign keys' ON DELETE CASCADE, everything under it. Publishes `.deleted`. */
export async function deleteOne(store: Store, def: EntityDef, uuid: string): Promise<void> {
  const deleted = await store.db.transaction(async (tx) => {
    const rows = await tx.delete(def.table).where(eq(uuidColumn(def), uuid)).returning({ uuid: uuidColumn(def) });
    if (rows.length === 0) return false;
    await insertOutbox(tx, [entityEvent(def.event, 'deleted', { uuid })]);
    return true;
  });
  if (!deleted) throw notFound(def.notFound);
  store.onCommit?.();
}
