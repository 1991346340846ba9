/** An API on a fresh test database, with helpers to call it and read the outbox. */
import { asc } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createLogger } from '@smartem/common';
import { buildApp } from '../../src/http/app.ts';
import { outbox } from '../../src/db/schema.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from './databases.ts';

export interface TestApi {
  db: TestDatabase;
  app: FastifyInstance;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: any; raw: LightMyRequestResponse }>;
  /** Outbox payloads written since the last call. */
  newEvents(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startTestApi(kind: TestDatabaseKind): Promise<TestApi> {
  const db = await openTestDatabase(kind);
  const app = await buildApp({ db: db.handle.db, log: createLogger({ level: 'silent', pretty: false }), listen: db.handle.listen });
  let seen = 0;
  return {
    db,
    app,
    async call(method, url, body) {
      const raw = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: raw.statusCode, json: raw.body ? JSON.parse(raw.body) : undefined, raw };
    },
    async newEvents() {
      const rows = await db.handle.db.select().from(outbox).orderBy(asc(outbox.id));
      const fresh = rows.slice(seen).map((r) => r.payload as Record<string, unknown>);
      seen = rows.length;
      return fresh;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
