import { Type } from 'typebox';
import { BATCH_ROUTES, batchRequestSchema } from '@smartem/common';
import { upsertBatch } from '../../services/ingest.ts';
import type { Row } from '../../services/convert.ts';
import type { App } from '../app.ts';
import { problemRefs, ref } from './common.ts';

/** `POST /batch/<entities>`: idempotent upserts of up to 5,000 items (docs/architecture.md). */
export async function batchRoutes(app: App): Promise<void> {
  for (const [segment, kind] of Object.entries(BATCH_ROUTES)) {
    app.post(`/batch/${segment}`, {
      schema: { tags: ['batch'], body: Type.Unsafe<{ items: Row[] }>(batchRequestSchema(kind)), response: { 200: ref('BatchResponse'), ...problemRefs(400) } },
    }, async (req) => ({ results: await upsertBatch(app.store, kind, req.body.items) }));
  }
}
