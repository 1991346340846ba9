/**
 * The hand-tuned statements' SQL equals the snapshots checked in beside them (`src/repositories/sql/*.sql`), so a
 * change to a query shows in review. `UPDATE_SQL_SNAPSHOTS=1 npm test -- repositories-sql` rewrites the files.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { openTestDatabase, type TestDatabase } from './support/databases.ts';
import { renderStatements } from '../src/repositories/sql/render.ts';
import { liveGridStatements } from '../src/repositories/live-grid.ts';
import { insertWithEventsStatements } from '../src/repositories/batch-upsert.ts';
import { ENTITIES } from '../src/repositories/entity-tables.ts';
import { ENTITY_KINDS } from '@smartem/common';

const snapshot = (name: string) => new URL(`../src/repositories/sql/${name}`, import.meta.url);

function check(name: string, rendered: string): void {
  if (process.env.UPDATE_SQL_SNAPSHOTS === '1') writeFileSync(snapshot(name), rendered);
  assert.equal(
    rendered,
    readFileSync(snapshot(name), 'utf8'),
    `${name} differs from the generated SQL: review the change, then UPDATE_SQL_SNAPSHOTS=1`,
  );
}

describe('repository SQL snapshots', () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('pglite');
  });
  after(async () => {
    await t?.drop();
  });

  test('live grid load', () => {
    check(
      'live-grid.sql',
      renderStatements('The live grid load (repositories/live-grid.ts liveGridStatements)', liveGridStatements(t.handle.db, ':grid_uuid')),
    );
  });

  test('batch insert with its outbox events, per entity (a row carrying every column)', () => {
    const statements = Object.fromEntries(
      ENTITY_KINDS.map((kind) => {
        const row = Object.fromEntries(Object.keys(ENTITIES[kind].columns).map((column) => [column, `:${column}`]));
        const [statement] = insertWithEventsStatements(kind, [row]);
        return [kind, statement];
      }),
    );
    check(
      'batch-insert.sql',
      renderStatements('Batch insert with outbox events (repositories/batch-upsert.ts insertWithEventsStatements)', statements),
    );
  });
});
