/**
 * What the repositories need to know about each entity: the vocabulary (`KINDS` in `@smartem/common`: wire schemas, event
 * name, parent, natural id, "not found" message, default status) joined with what only the backend has, its table.
 */
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { ENTITY_KINDS, ENTITY_WIRES, KINDS, parentsOf, type EntityEventName, type EntityKind, type EntityWire } from '@smartem/common';
import * as s from '../db/schema.ts';

export interface EntityDef {
  key: EntityKind;
  table: PgTable;
  /** Columns by name (== wire field name). */
  columns: Record<string, PgColumn>;
  wire: EntityWire;
  event: EntityEventName;
  /** The original's 404 message, e.g. "Grid Square not found". */
  notFound: string;
  parent?: { key: EntityKind; column: string };
  /** Natural id, unique within the parent. */
  natural?: string;
  /** Server-side default status, applied on create when none is sent. */
  defaultStatus?: string;
}

/** The table of each entity kind. */
const TABLES: Record<EntityKind, PgTable> = {
  acquisition: s.acquisition,
  grid: s.grid,
  atlas: s.atlas,
  atlastile: s.atlastile,
  gridsquare: s.gridsquare,
  foilhole: s.foilhole,
  micrograph: s.micrograph,
};

function def(key: EntityKind): EntityDef {
  const spec = KINDS[key];
  const [parent] = parentsOf(key);
  return {
    key,
    table: TABLES[key],
    columns: TABLES[key] as unknown as Record<string, PgColumn>,
    wire: ENTITY_WIRES[key],
    event: spec.event,
    notFound: spec.notFound,
    ...(parent ? { parent: { key: parent.kind, column: parent.field } } : {}),
    ...(spec.natural ? { natural: spec.natural } : {}),
    ...(spec.defaultStatus ? { defaultStatus: spec.defaultStatus } : {}),
  };
}

export const ENTITIES = Object.fromEntries(ENTITY_KINDS.map((k) => [k, def(k)])) as Record<EntityKind, EntityDef>;
