/**
 * Entities in: the original's single-entity routes (create, read, list, update, delete, children of a parent) and the
 * batch upserts, as wire records in and out. Writes commit with their outbox events; `onCommit` then wakes the relay.
 */
import {
  batchItemErrors,
  ENTITY_WIRES,
  isEntityKind,
  KINDS,
  parentsOf,
  type BatchResult,
  type EntityKind,
  type Kind,
} from '@smartem/common';
import { InvalidFieldError, notFound } from '../errors.ts';
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

/** The item's own fields (unknown keys dropped, as the single-entity routes drop them); anything else as it is. */
function knownFields(kind: Kind, item: unknown): unknown {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return item;
  const fields = KINDS[kind].fields;
  return Object.fromEntries(Object.entries(item).filter(([key]) => key in fields));
}

/** How a batch result names an item: its uuid, or a position's `<tile>/<square>` (empty when it has none). */
function requestedUuid(kind: Kind, item: unknown): string {
  const it = (item && typeof item === 'object' ? item : {}) as Row;
  const name = (v: unknown) => (typeof v === 'string' ? v : '');
  return isEntityKind(kind) ? name(it.uuid) : `${name(it.atlastile_uuid)}/${name(it.gridsquare_uuid)}`;
}

/** An item's validation problems, or its row: schema errors first, then values only reading them can refuse (dates). */
function checkItem(kind: Kind, item: unknown): { row: Row } | { errors: Array<{ field: string; message: string }> } {
  const errors = batchItemErrors(kind, item);
  if (errors.length > 0) return { errors };
  if (!isEntityKind(kind)) return { row: item as Row };
  try {
    return { row: bodyToRow(fieldsOf(kind), item as Row) };
  } catch (error) {
    if (error instanceof InvalidFieldError) return { errors: [{ field: error.field, message: error.reason }] };
    throw error;
  }
}

/**
 * `POST /batch/<kind>`: idempotent upserts, one result per item in request order. An item that is not valid is
 * `rejected` with 422 and a detail naming its index and field (`items/3/center_x: must be <= 2147483647`); the valid
 * items are applied all the same, so one bad item neither fails nor blocks its batch.
 */
export async function upsertBatch(store: Store, kind: Kind, items: readonly unknown[]): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(items.length);
  const rows: Row[] = [];
  const positions: number[] = [];
  items.forEach((raw, index) => {
    const item = knownFields(kind, raw);
    const checked = checkItem(kind, item);
    if ('row' in checked) {
      rows.push(checked.row);
      positions.push(index);
      return;
    }
    const uuid = requestedUuid(kind, item);
    const detail = checked.errors.map((e) => `items/${index}${e.field ? `/${e.field}` : ''}: ${e.message}`).join('; ');
    results[index] = { requested_uuid: uuid, uuid, outcome: 'rejected', status: 422, detail };
  });
  if (rows.length > 0) {
    const applied = isEntityKind(kind) ? await upsertRows(store.db, kind, rows) : await upsertPositions(store.db, rows);
    applied.forEach((result, i) => (results[positions[i]!] = result));
  }
  if (results.some((r) => r.outcome === 'created' || r.outcome === 'updated')) store.onCommit?.();
  countIngested(kind, results);
  return results;
}
