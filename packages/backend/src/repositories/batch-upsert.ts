/**
 * Batch upserts (docs/architecture.md "HTTP API: batch upserts"): idempotent by uuid and by natural id within the
 * parent, in one transaction with the outbox events of the rows that changed. Items whose parent is missing are
 * rejected (404), and items whose uuid is stored under another parent (409), while the rest of the batch is applied.
 */
import { and, ne, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { entityEvent, eventPayloadFields, type BatchResult, type EntityEvent, type EntityKind } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { anyOf, bulkInsert, bulkInsertStatements, bulkUpdate, pairIn, type AfterInsert } from './bulk.ts';
import { insertOutbox, outboxFromInserted } from './outbox.ts';
import { ENTITIES, type EntityDef } from './entity-tables.ts';
import { changedKeys, type Row } from './rows.ts';
import { sqlState } from './sql-errors.ts';

const LOOKUP_CHUNK = 10_000;
const RETRYABLE = new Set(['23505', '40P01', '40001']);

/** Retries the whole batch when a concurrent writer won a race (unique violation, deadlock, serialization). */
export async function withRetry<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const state = sqlState(error);
      if (attempt >= attempts || !state || !RETRYABLE.has(state)) throw error;
    }
  }
}

async function selectIn(db: Db, def: EntityDef, column: string, values: string[]): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < values.length; i += LOOKUP_CHUNK) {
    const chunk = values.slice(i, i + LOOKUP_CHUNK);
    out.push(
      ...((await db
        .select()
        .from(def.table)
        .where(anyOf(def.columns[column] as PgColumn, chunk))) as Row[]),
    );
  }
  return out;
}

async function existingUuids(db: Db, def: EntityDef, uuids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const column = def.columns.uuid as PgColumn;
  for (let i = 0; i < uuids.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .select({ uuid: column })
      .from(def.table)
      .where(anyOf(column, uuids.slice(i, i + LOOKUP_CHUNK)));
    for (const r of rows) found.add(r.uuid as string);
  }
  return found;
}

const naturalKey = (parent: unknown, natural: unknown) => `${String(parent)}\u0000${String(natural)}`;

interface Plan {
  results: BatchResult[];
  inserts: Map<string, Row>;
  updates: Map<string, Row>; // stored uuid → changed columns
  finalRows: Map<string, Row>;
}

/** Decides, item by item in request order, what to write; later items see the effect of earlier ones. */
function plan(
  def: EntityDef,
  rows: readonly Row[],
  parents: Set<string> | null,
  byUuid: Map<string, Row>,
  byNatural: Map<string, Row>,
): Plan {
  const p: Plan = { results: [], inserts: new Map(), updates: new Map(), finalRows: new Map() };
  const parentColumn = def.parent?.column;
  const parentName = def.parent ? ENTITIES[def.parent.key].wire.name : '';
  const natural = def.natural;
  for (const row of rows) {
    const requested = String(row.uuid);
    const parent = parentColumn ? row[parentColumn] : undefined;
    if (parents && parentColumn && !parents.has(String(parent))) {
      p.results.push({
        requested_uuid: requested,
        uuid: requested,
        outcome: 'rejected',
        status: 404,
        detail: `${parentName} ${String(parent)} not found (${parentColumn})`,
      });
      continue;
    }
    const hasNatural = natural && typeof row[natural] === 'string' && row[natural] !== '';
    const byId = byUuid.get(requested);
    const storedParent = byId && parentColumn ? byId[parentColumn] : undefined;
    if (storedParent != null && String(storedParent) !== String(parent)) {
      // Re-parenting would silently move the row and everything under it: a batch never does (PUT can).
      p.results.push({
        requested_uuid: requested,
        uuid: requested,
        outcome: 'rejected',
        status: 409,
        detail: `uuid ${requested} already belongs to ${parentColumn} ${String(storedParent)}, not ${String(parent)}`,
      });
      continue;
    }
    const byNat = hasNatural ? byNatural.get(naturalKey(parent, row[natural!])) : undefined;
    if (byId && byNat && byId.uuid !== byNat.uuid) {
      p.results.push({
        requested_uuid: requested,
        uuid: requested,
        outcome: 'rejected',
        status: 409,
        detail: `${natural} ${String(row[natural!])} already belongs to ${String(byNat.uuid)} in ${parentColumn} ${String(parent)}`,
      });
      continue;
    }
    const existing = byId ?? byNat;
    if (!existing) {
      const fresh = def.defaultStatus && row.status == null ? { ...row, status: def.defaultStatus } : { ...row };
      p.inserts.set(requested, fresh);
      p.finalRows.set(requested, fresh);
      byUuid.set(requested, fresh);
      if (hasNatural) byNatural.set(naturalKey(parent, row[natural!]), fresh);
      p.results.push({ requested_uuid: requested, uuid: requested, outcome: 'created' });
      continue;
    }
    const storedUuid = String(existing.uuid);
    const { uuid: _ignored, ...sent } = row;
    const changed = changedKeys(existing, sent);
    if (changed.length === 0) {
      p.results.push({ requested_uuid: requested, uuid: storedUuid, outcome: 'unchanged' });
      continue;
    }
    if (natural && existing[natural]) byNatural.delete(naturalKey(parentColumn ? existing[parentColumn] : undefined, existing[natural]));
    for (const key of changed) existing[key] = sent[key];
    if (hasNatural) byNatural.set(naturalKey(parent, row[natural!]), existing);
    p.finalRows.set(storedUuid, existing);
    if (!p.inserts.has(storedUuid)) {
      const pending = p.updates.get(storedUuid) ?? {};
      for (const key of changed) pending[key] = sent[key];
      p.updates.set(storedUuid, pending);
    }
    p.results.push({ requested_uuid: requested, uuid: storedUuid, outcome: 'updated' });
  }
  return p;
}

async function applyOnce(db: Db, def: EntityDef, rows: readonly Row[]): Promise<BatchResult[]> {
  return db.transaction(async (tx) => {
    let parents: Set<string> | null = null;
    if (def.parent) {
      const wanted = [...new Set(rows.map((r) => String(r[def.parent!.column])))];
      parents = await existingUuids(tx, ENTITIES[def.parent.key], wanted);
    }
    const byUuid = new Map<string, Row>();
    for (const r of await selectIn(tx, def, 'uuid', [...new Set(rows.map((r) => String(r.uuid)))])) byUuid.set(String(r.uuid), r);
    const byNatural = new Map<string, Row>();
    if (def.natural && def.parent) {
      const parentColumn = def.parent.column,
        natural = def.natural;
      const pairs = new Map<string, [string, string]>();
      for (const r of rows) {
        const value = r[natural];
        if (typeof value === 'string' && value !== '') pairs.set(naturalKey(r[parentColumn], value), [String(r[parentColumn]), value]);
      }
      const parentCol = def.columns[parentColumn] as PgColumn,
        naturalCol = def.columns[natural] as PgColumn;
      const list = [...pairs.values()];
      for (let i = 0; i < list.length; i += LOOKUP_CHUNK) {
        // `<> ''` is the unique index's predicate: with it the (parent, natural id) index serves the lookup.
        const found = (await tx
          .select()
          .from(def.table)
          .where(and(pairIn(parentCol, naturalCol, list.slice(i, i + LOOKUP_CHUNK)), ne(naturalCol, '')))) as Row[];
        for (const r of found) byNatural.set(naturalKey(r[parentColumn], r[natural]), r);
      }
      for (const r of byUuid.values()) {
        if (r[def.natural]) byNatural.set(naturalKey(r[def.parent.column], r[def.natural]), r);
      }
    }
    const p = plan(def, rows, parents, byUuid, byNatural);
    // Created rows get their events in the insert statement itself; updated rows' events are built here.
    await bulkInsert(tx, def.table, [...p.inserts.values()], createdEvents(def));
    await bulkUpdate(tx, def.table, 'uuid', p.updates);
    const events: EntityEvent[] = [];
    for (const [uuid, row] of p.finalRows) {
      if (!p.inserts.has(uuid)) events.push(entityEvent(def.event, 'updated', row as Row & { uuid: string }));
    }
    await insertOutbox(tx, events);
    return p.results;
  });
}

/**
 * `<entity>.created` events of inserted rows, built by PostgreSQL from the inserted values. A payload field whose
 * column the rows did not carry is null, as `entityEvent` gives for the row sent (not the column's default).
 */
function createdEvents(def: EntityDef): AfterInsert {
  const fields = eventPayloadFields(def.event);
  return (present) => {
    const returning = [...new Set(fields.flatMap(([, column]) => (present.has(column) ? [column] : [])))];
    const payload = fields.map(([key, column]) => [key, present.has(column) ? def.columns[column].name : null] as const);
    return { returning: returning.length > 0 ? returning : ['uuid'], statement: outboxFromInserted(`${def.event}.created`, payload) };
  };
}

/** The insert of created rows with their `.created` outbox events, as `upsertRows` runs it (for the SQL snapshot). */
export function insertWithEventsStatements(kind: EntityKind, rows: readonly Row[]): SQL[] {
  const def = ENTITIES[kind];
  return bulkInsertStatements(def.table, rows, createdEvents(def));
}

/**
 * Upserts rows of one entity (wire items already converted to rows) in one transaction with their events; one
 * result per row, in order. Retried from fresh reads when a concurrent writer won a race.
 */
export async function upsertRows(db: Db, kind: EntityKind, rows: readonly Row[]): Promise<BatchResult[]> {
  // Lookups mutate the rows they read (not `rows`); every attempt starts from fresh reads.
  return withRetry(() => applyOnce(db, ENTITIES[kind], rows));
}
