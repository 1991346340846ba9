import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { BATCH_MAX_ITEMS, BATCH_ROUTES, batchRequestSchema } from '@smartem/common';
import { upsertBatch } from '../../services/ingest.ts';
import type { App } from '../app.ts';
import { problemRefs, ref } from './common.ts';

/**
 * What the route itself validates: `{items: [...]}` with at most BATCH_MAX_ITEMS items (else 400). The items are
 * validated one by one by the service, so a bad item is rejected alone (the documented schema still describes them).
 */
const envelope = Compile(Type.Object({ items: Type.Array(Type.Unknown(), { maxItems: BATCH_MAX_ITEMS }) }));

function validateEnvelope(body: unknown) {
  if (envelope.Check(body)) return { value: { items: body.items } };
  const validation = envelope.Errors(body).map((e) => {
    const missing = (e.params as { requiredProperties?: string[] }).requiredProperties;
    return { ...e, params: missing ? { missingProperty: missing[0] } : e.params };
  });
  return { error: Object.assign(new Error('invalid batch body'), { validation, validationContext: 'body' }) };
}

/** `POST /batch/<entities>`: idempotent upserts of up to 5,000 items (docs/architecture.md). */
export async function batchRoutes(app: App): Promise<void> {
  for (const [segment, kind] of Object.entries(BATCH_ROUTES)) {
    app.post(
      `/batch/${segment}`,
      {
        schema: {
          tags: ['batch'],
          summary: `upsert a batch of ${segment}`,
          description: `Idempotent upsert of up to ${BATCH_MAX_ITEMS} ${segment} by uuid and by natural id within the parent, in one transaction with the events of the rows that changed; one result per item (created, updated, unchanged, or rejected: 422 for an invalid item, naming its index and field, 404 for a missing parent, 409 for a conflict); the other items are applied. 400 when the body is not \`{items: [...]}\` of at most ${BATCH_MAX_ITEMS} items.`,
          body: Type.Unsafe<{ items: unknown[] }>(batchRequestSchema(kind)),
          response: { 200: ref('BatchResponse'), ...problemRefs(400) },
        },
        validatorCompiler: () => validateEnvelope,
      },
      async (req) => ({ results: await upsertBatch(app.store, kind, req.body.items) }),
    );
  }
}
