/**
 * Before migrating: which checked-in migrations a database has not applied yet, and whether the rows already there fit
 * the column limits those migrations set. drizzle applies every pending migration in one transaction, so one value
 * too long for a new `varchar(n)` would roll them all back with PostgreSQL's bare "value too long for type character
 * varying(n)"; `checkPendingMigrations` names each such column and how many rows exceed it before anything is changed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { StartupError } from '../runtime/startup-error.ts';

/** What `execute` needs of a drizzle database (PGlite or node-postgres: both answer with `rows`). */
interface Executes {
  execute(query: SQL): Promise<unknown>;
}

export interface Migration {
  /** e.g. `0007_entity_column_limits` */
  tag: string;
  /** drizzle's ordering key (the journal's `when`, stored as `created_at`). */
  when: number;
  statements: string[];
}

export interface OverLimit {
  migration: string;
  table: string;
  column: string;
  limit: number;
  rows: number;
}

/** The migrations in `folder`, in journal order. */
export function checkedInMigrations(folder: string): Migration[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string; when: number }>;
  };
  return journal.entries.map(({ tag, when }) => ({
    tag,
    when,
    statements: readFileSync(join(folder, `${tag}.sql`), 'utf8').split('--> statement-breakpoint'),
  }));
}

async function rows<T>(db: Executes, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as { rows: T[] }).rows;
}

/** drizzle's rule: a migration is applied when it is newer than the newest one recorded in `drizzle.__drizzle_migrations`. */
export async function pendingMigrations(db: Executes, folder: string): Promise<Migration[]> {
  const [table] = await rows<{ present: boolean }>(db, sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  let last = -Infinity;
  if (table?.present) {
    const [row] = await rows<{ last: string | number | null }>(db, sql`SELECT max(created_at) AS last FROM drizzle.__drizzle_migrations`);
    if (row?.last !== null && row?.last !== undefined) last = Number(row.last);
  }
  return checkedInMigrations(folder).filter((m) => m.when > last);
}

/** A column narrowed to `varchar(n)` as drizzle-kit writes it. */
const NARROWING = /^\s*ALTER TABLE "([^"]+)" ALTER COLUMN "([^"]+)" SET DATA TYPE varchar\((\d+)\)/;

/**
 * For each column a pending migration narrows to `varchar(n)`: how many existing rows hold a longer value (only those
 * with any). One scan per table.
 */
export async function overLimitValues(db: Executes, pending: readonly Migration[]): Promise<OverLimit[]> {
  const byTable = new Map<string, Array<Omit<OverLimit, 'rows'>>>();
  for (const migration of pending) {
    for (const statement of migration.statements) {
      const match = NARROWING.exec(statement);
      if (!match) continue;
      const [, table, column, limit] = match as unknown as [string, string, string, string];
      byTable.set(table, [...(byTable.get(table) ?? []), { migration: migration.tag, table, column, limit: Number(limit) }]);
    }
  }
  const found: OverLimit[] = [];
  for (const [table, narrowed] of byTable) {
    // A table or column that an earlier pending migration creates has no rows yet.
    const present = new Set(
      (
        await rows<{ column_name: string }>(
          db,
          sql`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`,
        )
      ).map((r) => r.column_name),
    );
    const checked = narrowed.filter((n) => present.has(n.column));
    if (checked.length === 0) continue;
    const counts = sql.join(
      checked.map(
        (n, i) =>
          sql`count(*) FILTER (WHERE char_length(${sql.identifier(n.column)}::text) > ${n.limit})::int AS ${sql.identifier(`c${i}`)}`,
      ),
      sql`, `,
    );
    const [row] = await rows<Record<string, number>>(db, sql`SELECT ${counts} FROM ${sql.identifier(table)}`);
    checked.forEach((n, i) => {
      const over = Number(row?.[`c${i}`] ?? 0);
      if (over > 0) found.push({ ...n, rows: over });
    });
  }
  return found;
}

/** Thrown before migrating when existing rows would make a pending migration fail; its message says what to fix. */
export class MigrationBlockedError extends StartupError {
  override name = 'MigrationBlockedError';
  constructor(readonly overLimit: OverLimit[]) {
    const migrations = [...new Set(overLimit.map((o) => o.migration))].join(', ');
    const first = overLimit[0] as OverLimit;
    const [t, c] = [`"${first.table}"`, `"${first.column}"`];
    super(
      `migration ${migrations} cannot be applied; nothing was changed. Existing values are longer than its new column limits:\n` +
        overLimit
          .map((o) => `  ${o.table}.${o.column}: ${o.rows} row${o.rows === 1 ? '' : 's'} longer than ${o.limit} characters\n`)
          .join('') +
        `Shorten or delete those values, e.g. UPDATE ${t} SET ${c} = left(${c}, ${first.limit}) WHERE char_length(${c}) > ${first.limit}; ` +
        'then run `smartem backend migrate` again.',
    );
  }
}

/** Fails with a MigrationBlockedError when a pending migration would not fit the rows already there. */
export async function checkPendingMigrations(db: Executes, folder: string): Promise<void> {
  const overLimit = await overLimitValues(db, await pendingMigrations(db, folder));
  if (overLimit.length > 0) throw new MigrationBlockedError(overLimit);
}
