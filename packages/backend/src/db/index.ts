/**
 * Opening and migrating the database: PostgreSQL through a `pg` pool when a URL is given, otherwise PGlite (embedded
 * PostgreSQL) in a data directory owned through a lock file, or in memory. The same drizzle API serves both.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import { lockDirectory } from '@smartem/common';

export { schema };
export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** Stops a `listen`. */
export type Unlisten = () => Promise<void>;

/**
 * Calls `onNotify` with the payload of every `NOTIFY channel` (sent with `pg_notify` in the writing transaction, so
 * it arrives once the rows are committed), and with `null` after a lost listening connection is back (notifications
 * may have been missed meanwhile: look again).
 */
export type Listen = (channel: string, onNotify: (payload: string | null) => void) => Promise<Unlisten>;

export interface DatabaseHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  listen: Listen;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

export async function openDatabase(opts: { url?: string; dataDir?: string; poolSize?: number }): Promise<DatabaseHandle> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? 10) : openPglite(opts.dataDir);
}

async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client losing its connection must not crash the process; the next query gets a fresh one.
  pool.on('error', () => {});
  // Nor one that is checked out (pg-pool takes its own listener off while it is): a transaction held between queries,
  // as the outbox relay holds one across a publish, whose connection PostgreSQL ends on a restart would otherwise
  // emit an unhandled 'error' and kill the process. The next query on it fails instead, and the pool discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle({ client: pool, schema });
  return { db, kind: 'postgres', listen: (channel, onNotify) => listenPostgres(url, channel, onNotify), close: () => pool.end() };
}

/** A dedicated connection per listener (a pooled one would lose its LISTEN), re-established when lost. */
async function listenPostgres(url: string, channel: string, onNotify: (payload: string | null) => void): Promise<Unlisten> {
  const { default: pg } = await import('pg');
  let client: import('pg').Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (isReconnect: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    next.on('error', () => {
      if (client === next) lost();
    });
    next.on('end', () => {
      if (client === next) lost();
    });
    await next.connect();
    await next.query(`LISTEN ${quoteIdentifier(channel)}`);
    if (stopped) return void (await next.end().catch(() => {}));
    client = next;
    if (isReconnect) onNotify(null);
  };
  const lost = (): void => {
    client = undefined;
    if (stopped || retry) return;
    retry = setTimeout(function again() {
      connect(true).then(
        () => (retry = undefined),
        () => (retry = setTimeout(again, 1000)),
      );
    }, 200);
  };
  await connect(false);
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  let release = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = lockDirectory(dataDir, { file: 'smartem.lock', what: 'data directory' });
  }
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const client = await PGlite.create(dataDir ? { dataDir: `${dataDir}/pgdata` } : {});
    const db = drizzle({ client, schema });
    let closed = false;
    return {
      db,
      kind: 'pglite',
      listen: async (channel, onNotify) => client.listen(channel, (payload) => onNotify(payload)),
      async close() {
        if (closed) return;
        closed = true;
        try {
          await client.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Applies the checked-in drizzle migrations (`packages/backend/drizzle/`), the same files on PGlite and PostgreSQL,
 * after checking that the rows already there fit them (else a MigrationBlockedError, nothing changed). `folder`: other
 * migrations (a test bringing a database to an older version).
 */
export async function migrateDatabase(handle: DatabaseHandle, folder = MIGRATIONS_FOLDER): Promise<void> {
  const { checkPendingMigrations } = await import('./pending-migrations.ts');
  if (handle.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await checkPendingMigrations(handle.db, folder);
    await migrate(handle.db as Parameters<typeof migrate>[0], { migrationsFolder: folder });
    return;
  }
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  // One connection holding an advisory lock, so API replicas and workers starting together migrate once.
  const pool = (handle.db as unknown as { $client: import('pg').Pool }).$client;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(7243001)');
    try {
      const db = drizzle({ client });
      await checkPendingMigrations(db, folder);
      await migrate(db, { migrationsFolder: folder });
    } finally {
      await client.query('SELECT pg_advisory_unlock(7243001)');
    }
  } finally {
    client.release();
  }
}

/** Fails, with the driver's reason, when the database cannot be reached. */
export async function pingDatabase(handle: DatabaseHandle): Promise<void> {
  await handle.db.execute(sql`SELECT 1`);
}
