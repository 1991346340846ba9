import type { App } from '../app.ts';
import { BATCH_ROUTES, batchRequestSchema } from '@smartem/common';
import { ENTITIES } from '../entities.ts';
import type { Row } from '../convert.ts';
import { batchUpsert } from '../store/batch-upsert.ts';
import { batchUpsertPositions } from '../store/positions.ts';
import { problemRefs, ref } from './common.ts';

/** `POST /batch/<entities>`: idempotent upserts of up to 5,000 items (docs/architecture.md). */
export async function batchRoutes(app: App): Promise<void> {
  for (const [segment, entity] of Object.entries(BATCH_ROUTES)) {
    app.post(`/batch/${segment}`, {
      schema: { tags: ['batch'], body: batchRequestSchema(entity), response: { 200: ref('BatchResponse'), ...problemRefs(400) } },
    }, async (req) => {
      const { items } = req.body as { items: Row[] };
      const results = entity === 'position'
        ? await batchUpsertPositions(app.store, items)
        : await batchUpsert(app.store, ENTITIES[entity], items);
      return { results };
    });
  }
}
