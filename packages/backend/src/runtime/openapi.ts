/**
 * The API's OpenAPI document as served at `/docs/json`, for the checked-in `docs/openapi.json` (`npm run openapi`
 * writes it; `test/openapi.test.ts` fails when the two differ).
 */
import { createLogger } from '@smartem/common';
import { openDatabase } from '../db/index.ts';
import { buildApp } from '../http/app.ts';

/** Builds the API on an empty in-memory database (registering routes queries nothing) and returns its document. */
export async function openApiDocument(): Promise<unknown> {
  const handle = await openDatabase({});
  try {
    const app = await buildApp({ db: handle.db, log: createLogger({ level: 'silent', pretty: false }) });
    try {
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await handle.close();
  }
}

/** The checked-in file's text: two-space JSON and a final newline. */
export const formatOpenApi = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
