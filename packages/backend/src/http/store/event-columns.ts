/**
 * Which column each payload field of an entity's `.created` / `.updated` event comes from, read off `entityEvent`
 * (`@smartem/common`, the one definition of the payloads) by handing it a row whose every value names its column.
 * Lets PostgreSQL build the events of a batch insert (`outboxFromInserted`) with the same fields as the API's.
 */
import { entityEvent } from '@smartem/common';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { EntityDef } from '../entities.ts';

const MARK = '\u0000column:';
const cache = new Map<EntityDef, ReadonlyArray<readonly [key: string, column: string]>>();

export function eventColumns(def: EntityDef): ReadonlyArray<readonly [key: string, column: string]> {
  const known = cache.get(def);
  if (known) return known;
  const probe: Record<string, unknown> & { uuid: string } = { uuid: `${MARK}uuid` };
  for (const name of Object.keys(def.columns)) probe[name] = `${MARK}${name}`;
  const fields: Array<readonly [string, string]> = [];
  for (const [key, value] of Object.entries(entityEvent(def.event, 'created', probe))) {
    if (key === 'event_type') continue;
    if (typeof value !== 'string' || !value.startsWith(MARK)) {
      throw new Error(`${def.event} event field ${key} is not a column of ${def.key}: its payload cannot be built in SQL`);
    }
    const column = value.slice(MARK.length);
    // PostgreSQL's JSON of a timestamp is not the API's ISO string; every payload field today is text.
    const type = (def.columns[column] as PgColumn).getSQLType();
    if (type !== 'varchar' && type !== 'text') throw new Error(`${def.event} event field ${key}: column ${column} is ${type}, not text`);
    fields.push([key, column]);
  }
  cache.set(def, fields);
  return fields;
}
