/**
 * PostgreSQL restarted while a pooled connection is checked out between two queries (as the outbox relay holds its
 * transaction across a publish): the transaction fails, the process lives on (before the fix, pg emitted an unhandled
 * 'error' and killed it), and the pool serves queries again once the server is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { openDatabase, pingDatabase } from '../src/db/index.ts';
import { createPrivatePostgres, privatePostgresUnavailable } from './support/private-postgres.ts';

test('a transaction open across a PostgreSQL restart fails; the process and the pool survive', {
  skip: privatePostgresUnavailable() ?? false,
}, async () => {
  const pg = await createPrivatePostgres();
  const handle = await openDatabase({ url: pg.url(), poolSize: 2 });
  try {
    let stopped!: () => void;
    const serverStopped = new Promise<void>((resolve) => (stopped = resolve));
    const transaction = handle.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT 1`);
      // The connection is checked out and idle here while the server shuts down.
      await serverStopped;
      await tx.execute(sql`SELECT 2`);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pg.stop();
    // Let the terminated connection's error arrive while the transaction still holds it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    stopped();
    await assert.rejects(transaction);
    await pg.start();
    await pingDatabase(handle);
  } finally {
    await handle.close();
    await pg.remove();
  }
});
