/**
 * Entities in: the original's single-entity routes (create, read, list, update, delete, children of a parent) and the
 * batch upserts, as wire records in and out. Writes commit with their outbox events; `onCommit` then wakes the relay.
 */
import { ENTITY_WIRES, isEntityKind, KINDS, parentsOf, type BatchResult, type EntityKind, type Kind } from '@smartem/common';
import { notFound } from '../errors.ts';
import { upsertRows } from '../repositories/batch-upsert.ts';
import {
  deleteRow,
  findRow,
  insertRow,
  listRows,
  missingParent,
  rowExists,
  updateRow,
  type ListOptions,
} from '../repositories/entities.ts';
import { insertPosition, upsertPositions } from '../repositories/positions.ts';
import { bodyToRow, rowToWire, type Row } from './convert.ts';
import type { Store } from './store.ts';
import { countIngested } from '../metrics.ts';

export type { ListOptions };

const fieldsOf = (kind: EntityKind) => ENTITY_WIRES[kind].fields;
const toWire = (kind: EntityKind, row: Row) => rowToWire(fieldsOf(kind), row);
const parentFieldOf = (kind: EntityKind): string | undefined => parentsOf(kind)[0]?.field;
const notFoundOf = (kind: EntityKind) => notFound(KINDS[kind].notFound ?? `${kind} not found`);

function withDefaultStatus(kind: EntityKind, row: Row): Row {
  const status = KINDS[kind].defaultStatus;
  return status && row.status == null ? { ...row, status } : row;
}

export async function requireEntity(store: Store, kind: EntityKind, uuid: string): Promise<void> {
  if (!(await rowExists(store.db, kind, uuid))) throw notFoundOf(kind);
}

export async function listEntities(store: Store, kind: EntityKind, options: ListOptions): Promise<Row[]> {
  return (await listRows(store.db, kind, options)).map((row) => toWire(kind, row));
}

export async function getEntity(store: Store, kind: EntityKind, uuid: string): Promise<Row> {
  const row = await findRow(store.db, kind, uuid);
  if (!row) throw notFoundOf(kind);
  return toWire(kind, row);
}

/** Creates one entity (its `.created` event in the same transaction); the default status when none is sent. */
export async function createEntity(
  store: Store,
  kind: EntityKind,
  body: Row,
  children: Array<{ kind: EntityKind; body: Row }> = [],
): Promise<Row> {
  const row = withDefaultStatus(kind, bodyToRow(fieldsOf(kind), body));
  const stored = await insertRow(
    store.db,
    kind,
    row,
    children.map((c) => ({ kind: c.kind, row: bodyToRow(fieldsOf(c.kind), c.body) })),
  );
  store.onCommit?.();
  countIngested(kind, [{ outcome: 'created' }]);
  for (const child of children) countIngested(child.kind, [{ outcome: 'created' }]);
  return toWire(kind, stored);
}

/** Applies the fields sent (an explicit null clears one); a new parent must exist. */
export async function updateEntity(store: Store, kind: EntityKind, uuid: string, body: Row): Promise<Row> {
  const changes = bodyToRow(fieldsOf(kind), body, { omit: ['uuid'] });
  const parentField = parentFieldOf(kind);
  if (parentField && changes[parentField] != null && !(await rowExists(store.db, parentsOf(kind)[0].kind, String(changes[parentField])))) {
    throw missingParent(kind, changes[parentField]);
  }
  const stored = await updateRow(store.db, kind, uuid, changes);
  if (!stored) throw notFoundOf(kind);
  store.onCommit?.();
  countIngested(kind, [{ outcome: 'updated' }]);
  return toWire(kind, stored);
}

/** Deletes the entity and everything under it. */
export async function deleteEntity(store: Store, kind: EntityKind, uuid: string): Promise<void> {
  if (!(await deleteRow(store.db, kind, uuid))) throw notFoundOf(kind);
  store.onCommit?.();
}

/** Children of an existing parent (`GET /<parents>/{uuid}/<children>`). */
export async function listChildren(
  store: Store,
  parent: EntityKind,
  parentUuid: string,
  kind: EntityKind,
  options: ListOptions,
): Promise<Row[]> {
  await requireEntity(store, parent, parentUuid);
  return listEntities(store, kind, { ...options, where: { ...options.where, [parentFieldOf(kind)!]: parentUuid } });
}

/** Creates a child of an existing parent; the path's parent wins over the body's. */
export async function createChild(store: Store, parent: EntityKind, parentUuid: string, kind: EntityKind, body: Row): Promise<Row> {
  await requireEntity(store, parent, parentUuid);
  return createEntity(store, kind, { ...body, [parentFieldOf(kind)!]: parentUuid });
}

/** The grid's atlas (the original answers with an empty `tiles` list). */
export async function gridAtlas(store: Store, gridUuid: string): Promise<Row> {
  const [row] = await listRows(store.db, 'atlas', { where: { grid_uuid: gridUuid }, limit: 1 });
  if (!row) throw notFound('Atlas not found for this grid');
  return { ...toWire('atlas', row), tiles: [] };
}

/** Creates the grid's atlas with its `tiles` (whose `atlas_uuid` is the new atlas) in one transaction. */
export async function createGridAtlas(store: Store, gridUuid: string, body: Row & { tiles?: Row[] }): Promise<Row> {
  await requireEntity(store, 'grid', gridUuid);
  const { tiles = [], ...atlas } = body;
  const tileBodies = tiles.map((tile) => ({ kind: 'atlastile' as const, body: { ...tile, atlas_uuid: atlas.uuid } }));
  return { ...(await createEntity(store, 'atlas', { ...atlas, grid_uuid: gridUuid }, tileBodies)), tiles: [] };
}

/** Links an atlas tile to a grid square with the square's position on the tile (publishes no event). */
export async function createPosition(store: Store, tileUuid: string, squareUuid: string, body: Row): Promise<Row> {
  return insertPosition(store.db, {
    atlastile_uuid: tileUuid,
    gridsquare_uuid: squareUuid,
    center_x: body.center_x,
    center_y: body.center_y,
    size_width: body.size_width,
    size_height: body.size_height,
  });
}

/** `POST /batch/<kind>`: idempotent upserts of validated items, one result per item in request order. */
export async function upsertBatch(store: Store, kind: Kind, items: readonly Row[]): Promise<BatchResult[]> {
  const results = isEntityKind(kind)
    ? await upsertRows(
        store.db,
        kind,
        items.map((item) => bodyToRow(fieldsOf(kind), item)),
      )
    : await upsertPositions(store.db, items);
  if (results.some((r) => r.outcome === 'created' || r.outcome === 'updated')) store.onCommit?.();
  countIngested(kind, results);
  return results;
}
