/**
 * Set-based statements for large batches: one `INSERT … SELECT FROM unnest($1::type[], …)` per column set, and
 * `= ANY($1)` lookups — a handful of bind parameters however many rows (a multi-row VALUES list would need one per
 * value, hit PostgreSQL's 65,535 limit, and costs far more to build and plan).
 */
import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './index.ts';

type Row = Record<string, unknown>;

/** Array types both drivers serialise natively; every other column goes through `text[]` (enums, timestamps…). */
const NATIVE_ARRAY: Record<string, string> = {
  integer: 'int4', 'double precision': 'float8', boolean: 'bool', bigint: 'int8',
};

function arrayCast(column: PgColumn): SQL {
  const type = column.getSQLType();
  const native = NATIVE_ARRAY[type];
  return native ? sql.raw(`::${native}[]`) : sql.raw(type === 'varchar' || type === 'text' ? '::text[]' : `::text[]::${type}[]`);
}

const toParam = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : (value ?? null));

/** Inserts rows (objects keyed by column property name); rows with different key sets go in separate statements. */
export async function bulkInsert(db: Db, table: PgTable, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const keys = Object.keys(row).filter((k) => row[k] !== undefined && k in columns).sort().join(',');
    const group = groups.get(keys);
    if (group) group.push(row);
    else groups.set(keys, [row]);
  }
  for (const [signature, group] of groups) {
    const keys = signature.split(',');
    const names = sql.join(keys.map((k) => sql.identifier(columns[k].name)), sql.raw(', '));
    const arrays = sql.join(keys.map((k) => sql`${sql.param(group.map((r) => toParam(r[k])))}${arrayCast(columns[k])}`), sql.raw(', '));
    await db.execute(sql`INSERT INTO ${sql.identifier(getTableName(table))} (${names}) SELECT * FROM unnest(${arrays})`);
  }
}

/** `column = ANY($1)`: a single bind parameter for any number of keys (text-typed columns). */
export function anyOf(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} = ANY(${sql.param([...values])}::text[])`;
}

/** `(a, b) IN (pairs)` through `unnest`, so a composite index on (a, b) serves it. */
export function pairIn(a: PgColumn, b: PgColumn, pairs: ReadonlyArray<readonly [string, string]>): SQL {
  const firsts = pairs.map((p) => p[0]);
  const seconds = pairs.map((p) => p[1]);
  return sql`(${a}, ${b}) IN (SELECT * FROM unnest(${sql.param(firsts)}::text[], ${sql.param(seconds)}::text[]))`;
}

/**
 * Applies per-row changes keyed by a text column (`uuid`): one `UPDATE … FROM unnest(…)` per set of changed columns.
 */
export async function bulkUpdate(db: Db, table: PgTable, keyColumn: string, updates: ReadonlyMap<string, Row>): Promise<void> {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const groups = new Map<string, Array<[string, Row]>>();
  for (const [key, changes] of updates) {
    const signature = Object.keys(changes).filter((k) => k in columns && k !== keyColumn).sort().join(',');
    if (!signature) continue;
    const group = groups.get(signature);
    if (group) group.push([key, changes]);
    else groups.set(signature, [[key, changes]]);
  }
  const tableName = sql.identifier(getTableName(table));
  for (const [signature, group] of groups) {
    const keys = signature.split(',');
    const sets = sql.join(keys.map((k) => sql`${sql.identifier(columns[k].name)} = v.${sql.identifier(columns[k].name)}`), sql.raw(', '));
    const aliases = sql.join([sql.identifier('__key'), ...keys.map((k) => sql.identifier(columns[k].name))], sql.raw(', '));
    const arrays = sql.join([
      sql`${sql.param(group.map(([key]) => key))}::text[]`,
      ...keys.map((k) => sql`${sql.param(group.map(([, changes]) => toParam(changes[k])))}${arrayCast(columns[k])}`),
    ], sql.raw(', '));
    await db.execute(sql`UPDATE ${tableName} SET ${sets} FROM unnest(${arrays}) AS v(${aliases})
      WHERE ${tableName}.${sql.identifier(columns[keyColumn].name)} = v.${sql.identifier('__key')}`);
  }
}
