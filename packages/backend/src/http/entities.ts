/**
 * What the routes need to know about each entity: its table, wire schemas, event name, parent and natural id,
 * and the original's "not found" messages.
 */
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { ENTITY_WIRES, type EntityEventName, type EntityKey, type EntityWire } from '@smartem/common';
import * as s from '../db/schema.ts';

export interface EntityDef {
  key: EntityKey;
  table: PgTable;
  /** Columns by name (== wire field name). */
  columns: Record<string, PgColumn>;
  wire: EntityWire;
  event: EntityEventName;
  /** The original's 404 message, e.g. "Grid Square not found". */
  notFound: string;
  parent?: { key: EntityKey; column: string };
  /** Natural id, unique within the parent (empty string = none). */
  natural?: string;
  /** Server-side default status, applied on create when none is sent. */
  defaultStatus?: string;
}

function columnsOf(table: PgTable): Record<string, PgColumn> {
  return table as unknown as Record<string, PgColumn>;
}

function def(d: Omit<EntityDef, 'columns' | 'wire'>): EntityDef {
  return { ...d, columns: columnsOf(d.table), wire: ENTITY_WIRES[d.key] };
}

export const ENTITIES: Record<EntityKey, EntityDef> = {
  acquisition: def({ key: 'acquisition', table: s.acquisition, event: 'acquisition', notFound: 'Acquisition not found', defaultStatus: 'planned' }),
  grid: def({
    key: 'grid', table: s.grid, event: 'grid', notFound: 'Grid not found',
    parent: { key: 'acquisition', column: 'acquisition_uuid' }, defaultStatus: 'none',
  }),
  atlas: def({
    key: 'atlas', table: s.atlas, event: 'atlas', notFound: 'Atlas not found',
    parent: { key: 'grid', column: 'grid_uuid' }, natural: 'atlas_id',
  }),
  atlastile: def({
    key: 'atlastile', table: s.atlastile, event: 'atlas_tile', notFound: 'Atlas tile not found',
    parent: { key: 'atlas', column: 'atlas_uuid' }, natural: 'tile_id',
  }),
  gridsquare: def({
    key: 'gridsquare', table: s.gridsquare, event: 'gridsquare', notFound: 'Grid Square not found',
    parent: { key: 'grid', column: 'grid_uuid' }, natural: 'gridsquare_id', defaultStatus: 'none',
  }),
  foilhole: def({
    key: 'foilhole', table: s.foilhole, event: 'foilhole', notFound: 'Foil Hole not found',
    parent: { key: 'gridsquare', column: 'gridsquare_uuid' }, natural: 'foilhole_id', defaultStatus: 'none',
  }),
  micrograph: def({
    key: 'micrograph', table: s.micrograph, event: 'micrograph', notFound: 'Micrograph not found',
    parent: { key: 'foilhole', column: 'foilhole_uuid' }, natural: 'micrograph_id', defaultStatus: 'none',
  }),
};
