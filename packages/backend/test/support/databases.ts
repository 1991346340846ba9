/**
 * Test databases: every test file gets its own freshly migrated database — PGlite in memory always, and, when
 * `DATABASE_URL` is set, a new `smartem_t_<random>` database on that PostgreSQL server, dropped by `drop()` — so test
 * files can run at the same time without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, migrateDatabase, type DatabaseHandle } from '../../src/db/index.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  kind: TestDatabaseKind;
  handle: DatabaseHandle;
  /** The PostgreSQL URL of this database (undefined for PGlite). */
  url?: string;
  /** Closes the handle and, on PostgreSQL, drops the database. */
  drop(): Promise<void>;
}

/** PGlite always; PostgreSQL too when `DATABASE_URL` is set (CI sets it). */
export function testDatabaseKinds(env: NodeJS.ProcessEnv = process.env): TestDatabaseKind[] {
  return env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the `DATABASE_URL` server and returns its URL and a function dropping it. */
export async function createScratchPostgres(serverUrl = process.env.DATABASE_URL): Promise<{ url: string; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `smartem_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export async function openTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({});
    await migrateDatabase(handle);
    return { kind, handle, drop: () => handle.close() };
  }
  const scratch = await createScratchPostgres();
  const handle = await openDatabase({ url: scratch.url, poolSize: 4 });
  await migrateDatabase(handle);
  return {
    kind,
    handle,
    url: scratch.url,
    async drop() {
      await handle.close();
      await scratch.drop();
    },
  };
}
