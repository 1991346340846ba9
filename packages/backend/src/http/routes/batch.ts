import { Type } from 'typebox';
import { BATCH_MAX_ITEMS, BATCH_ROUTES, batchRequestSchema } from '@smartem/common';
import { upsertBatch } from '../../services/ingest.ts';
import type { Row } from '../../services/convert.ts';
import type { App } from '../app.ts';
import { problemRefs, ref } from './common.ts';

/** `POST /batch/<entities>`: idempotent upserts of up to 5,000 items (docs/architecture.md). */
export async function batchRoutes(app: App): Promise<void> {
  for (const [segment, kind] of Object.entries(BATCH_ROUTES)) {
    app.post(
      `/batch/${segment}`,
      {
        schema: {
          tags: ['batch'],
          summary: `upsert a batch of ${segment}`,
          description: `Idempotent upsert of up to ${BATCH_MAX_ITEMS} ${segment} by uuid and by natural id within the parent, in one transaction with the events of the rows that changed; one result per item (created, updated, unchanged, or rejected with 404/409).`,
          body: Type.Unsafe<{ items: Row[] }>(batchRequestSchema(kind)),
          response: { 200: ref('BatchResponse'), ...problemRefs(400) },
        },
      },
      async (req) => ({ results: await upsertBatch(app.store, kind, req.body.items) }),
    );
  }
}
