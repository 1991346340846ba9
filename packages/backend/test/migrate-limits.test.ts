/**
 * Migration 0007 narrows text columns to varchar(n). On a database whose rows already hold longer values,
 * `smartem backend migrate` fails before changing anything, naming each table.column, how many rows exceed its limit
 * and how to fix them; once they are shortened it migrates. On PGlite and, when DATABASE_URL is set, PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_FOLDER, migrateDatabase, openDatabase, type DatabaseHandle } from '../src/db/index.ts';
import { pendingMigrations } from '../src/db/pending-migrations.ts';
import { createScratchPostgres, testDatabaseKinds } from './support/databases.ts';
import { runSmartem } from './support/cli.ts';

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };

/** The tags of every migration from `firstTag` on, in order: what a database refused at `firstTag` still has pending. */
const migrationsFrom = (firstTag: string): string[] =>
  journal.entries.slice(journal.entries.findIndex((e) => e.tag === firstTag)).map((e) => e.tag);

/** A copy of the migrations folder holding the migrations up to and including `lastTag`. */
function migrationsUpTo(dir: string, lastTag: string): string {
  const entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === lastTag) + 1);
  mkdirSync(join(dir, 'meta'), { recursive: true });
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  for (const { tag } of entries) copyFileSync(join(MIGRATIONS_FOLDER, `${tag}.sql`), join(dir, `${tag}.sql`));
  return dir;
}

const columnType = async (handle: DatabaseHandle, table: string, column: string) =>
  (
    (await handle.db.execute(
      sql`SELECT data_type, character_maximum_length AS max FROM information_schema.columns WHERE table_name = ${table} AND column_name = ${column}`,
    )) as unknown as { rows: Array<{ data_type: string; max: number | null }> }
  ).rows[0];

for (const kind of testDatabaseKinds()) {
  test(`${kind}: migrate refuses 0007 while values exceed its limits, naming them, and changes nothing`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartem-migrate-'));
    const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
    const open = () => openDatabase(scratch ? { url: scratch.url, poolSize: 2 } : { dataDir: join(dir, 'db') });
    try {
      let handle = await open();
      await migrateDatabase(handle, migrationsUpTo(join(dir, 'drizzle'), '0006_agent_instructions'));
      await handle.db.execute(
        sql`INSERT INTO acquisition (uuid, name) VALUES ('acq-1', repeat('n', 300)), ('acq-2', repeat('m', 256)), ('acq-3', 'fits')`,
      );
      await handle.db.execute(
        sql`INSERT INTO grid (uuid, acquisition_uuid, name, data_dir) VALUES ('grid-1', 'acq-1', 'g', repeat('d', 5000))`,
      );
      await handle.close();

      const args = ['backend', 'migrate', ...(scratch ? [] : ['--data', join(dir, 'db')])];
      const run = await runSmartem(args, { DATABASE_URL: scratch?.url ?? '', SMARTEM_LOG_LEVEL: 'error' });
      assert.equal(run.code, 1, run.err);
      assert.match(run.err, /^smartem backend migrate: migration 0007_entity_column_limits cannot be applied; nothing was changed\./m);
      assert.match(run.err, /^ {2}acquisition\.name: 2 rows longer than 255 characters$/m);
      assert.match(run.err, /^ {2}grid\.data_dir: 1 row longer than 4096 characters$/m);
      assert.match(run.err, /UPDATE "acquisition" SET "name" = left\("name", 255\) WHERE char_length\("name"\) > 255/);
      assert.doesNotMatch(run.err, /^\s+at /m, 'no stack trace');

      handle = await open();
      assert.deepEqual(
        (await pendingMigrations(handle.db, MIGRATIONS_FOLDER)).map((m) => m.tag),
        migrationsFrom('0007_entity_column_limits'),
      );
      assert.deepEqual(await columnType(handle, 'acquisition', 'name'), { data_type: 'character varying', max: null });

      // The fix the message suggests, for both columns; then it migrates.
      await handle.db.execute(sql`UPDATE acquisition SET name = left(name, 255) WHERE char_length(name) > 255`);
      await handle.db.execute(sql`UPDATE grid SET data_dir = left(data_dir, 4096) WHERE char_length(data_dir) > 4096`);
      await migrateDatabase(handle);
      assert.deepEqual(await pendingMigrations(handle.db, MIGRATIONS_FOLDER), []);
      assert.deepEqual(await columnType(handle, 'acquisition', 'name'), { data_type: 'character varying', max: 255 });
      await handle.close();
    } finally {
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
