/**
 * Set-based statements for large batches: inserts take one JSON array per column, updates one `type[]` per column
 * (`unnest`), lookups `IN (SELECT unnest($1))` — a handful of bind parameters however many rows (a multi-row VALUES list would need one per value, hit PostgreSQL's 65,535 limit, and
 * costs far more to build and plan).
 */
import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/index.ts';

type Row = Record<string, unknown>;

/** Array types both drivers serialise natively; every other column goes through `text[]` (enums, timestamps…). */
const NATIVE_ARRAY: Record<string, string> = {
  integer: 'int4',
  'double precision': 'float8',
  boolean: 'bool',
  bigint: 'int8',
};

/**
 * The type a value is cast to on its way into `column`: its SQL type without a `varchar(n)` length, since an explicit
 * cast to `varchar(n)` would silently cut a longer value where storing it must fail.
 */
const castType = (column: PgColumn): string => column.getSQLType().replace(/^varchar\(\d+\)$/, 'varchar');

function arrayCast(column: PgColumn): SQL {
  const type = castType(column);
  const native = NATIVE_ARRAY[type];
  return native ? sql.raw(`::${native}[]`) : sql.raw(type === 'varchar' || type === 'text' ? '::text[]' : `::text[]::${type}[]`);
}

/** A bind value: Dates as ISO strings; NaN and ±Infinity as PostgreSQL's spellings (JSON would turn them into null). */
const toParam = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value ?? null;
};

/**
 * `INSERT … RETURNING` columns handed to `statement`, which turns the inserted rows (relation `inserted`) into a further
 * statement run in the same one — e.g. their outbox events (`repositories/outbox.ts`). `present` tells which columns the
 * statement's rows carry (rows are grouped by their set of keys).
 */
export type AfterInsert = (present: ReadonlySet<string>) => { returning: readonly string[]; statement: SQL };

/**
 * Inserts rows (objects keyed by column property name); rows with different key sets go in separate statements.
 * Each column travels as one JSON array (`ROWS FROM (json_array_elements_text($1::json), …)`, cast to the column's
 * type): serialising it is one native `JSON.stringify` of an array of strings and numbers, where a `text[]` literal
 * costs a JavaScript escape per value (pg's `arrayString`, the largest part of the API's time in pg in a profile of
 * bench/ingest), and an array per column sends each name once, not once per row.
 */
export async function bulkInsert(db: Db, table: PgTable, rows: readonly Row[], after?: AfterInsert): Promise<void> {
  for (const statement of bulkInsertStatements(table, rows, after)) await db.execute(statement);
}

/** The statements `bulkInsert` runs (one per set of keys). */
export function bulkInsertStatements(table: PgTable, rows: readonly Row[], after?: AfterInsert): SQL[] {
  const statements: SQL[] = [];
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const keys = Object.keys(row)
      .filter((k) => row[k] !== undefined && k in columns)
      .sort()
      .join(',');
    const group = groups.get(keys);
    if (group) group.push(row);
    else groups.set(keys, [row]);
  }
  const tableName = sql.identifier(getTableName(table));
  for (const [signature, group] of groups) {
    const keys = signature.split(',');
    const names = sql.join(
      keys.map((k) => sql.identifier(columns[k].name)),
      sql.raw(', '),
    );
    const sources = sql.join(
      keys.map((k) => sql`json_array_elements_text(${JSON.stringify(group.map((r) => toParam(r[k])))}::json)`),
      sql.raw(', '),
    );
    const aliases = sql.join(
      keys.map((_, i) => sql.raw(`c${i}`)),
      sql.raw(', '),
    );
    const casts = sql.join(
      keys.map((k, i) => sql.raw(`c${i}::${castType(columns[k])}`)),
      sql.raw(', '),
    );
    const insert = sql`INSERT INTO ${tableName} (${names}) SELECT ${casts} FROM ROWS FROM (${sources}) AS v(${aliases})`;
    if (!after) {
      statements.push(insert);
      continue;
    }
    const { returning, statement } = after(new Set(keys));
    const returned = sql.join(
      returning.map((k) => sql.identifier(columns[k].name)),
      sql.raw(', '),
    );
    statements.push(sql`WITH inserted AS (${insert} RETURNING ${returned}) ${statement}`);
  }
  return statements;
}

/**
 * `column IN (SELECT unnest($1))`: a single bind parameter for any number of keys (text-typed columns). Not
 * `= ANY($1)`: for a thousand keys PostgreSQL plans that as a sequential scan of the whole table (~6 ms on 50,000
 * micrographs, growing with the table), this as index lookups (~2 ms).
 */
export function anyOf(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} IN (SELECT unnest(${sql.param([...values])}::text[]))`;
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
    const signature = Object.keys(changes)
      .filter((k) => k in columns && k !== keyColumn)
      .sort()
      .join(',');
    if (!signature) continue;
    const group = groups.get(signature);
    if (group) group.push([key, changes]);
    else groups.set(signature, [[key, changes]]);
  }
  const tableName = sql.identifier(getTableName(table));
  for (const [signature, group] of groups) {
    const keys = signature.split(',');
    const sets = sql.join(
      keys.map((k) => sql`${sql.identifier(columns[k].name)} = v.${sql.identifier(columns[k].name)}`),
      sql.raw(', '),
    );
    const aliases = sql.join([sql.identifier('__key'), ...keys.map((k) => sql.identifier(columns[k].name))], sql.raw(', '));
    const arrays = sql.join(
      [
        sql`${sql.param(group.map(([key]) => key))}::text[]`,
        ...keys.map((k) => sql`${sql.param(group.map(([, changes]) => toParam(changes[k])))}${arrayCast(columns[k])}`),
      ],
      sql.raw(', '),
    );
    await db.execute(sql`UPDATE ${tableName} SET ${sets} FROM unnest(${arrays}) AS v(${aliases})
      WHERE ${tableName}.${sql.identifier(columns[keyColumn].name)} = v.${sql.identifier('__key')}`);
  }
}
