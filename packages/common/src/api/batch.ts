/** The batch upsert extension (docs/architecture.md "HTTP API: batch upserts"): request and response shapes. */
import { Type, type TSchema } from 'typebox';
import { batchRequired, KIND_ORDER, KINDS, type Kind } from './entities.ts';
import { objectSchema } from './fields.ts';

/** At most this many items per batch request. */
export const BATCH_MAX_ITEMS = 5000;

export type BatchOutcome = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface BatchResult {
  requested_uuid: string;
  uuid: string;
  outcome: BatchOutcome;
  status?: number;
  detail?: string;
}

export interface BatchResponse {
  results: BatchResult[];
}

/** Batch route path segment → kind, parents before children. */
export const BATCH_ROUTES: Readonly<Record<string, Kind>> = Object.fromEntries(KIND_ORDER.map((k) => [KINDS[k].route, k]));

/** The path of a kind's batch route, relative to the API root (`batch/atlas-tiles`). */
export const batchPath = (kind: Kind): string => `batch/${KINDS[kind].route}`;

/** `{items: [...]}` of one kind's create body, with its parents' uuids required. */
export function batchRequestSchema(kind: Kind): TSchema {
  const item = objectSchema(undefined, KINDS[kind].fields, batchRequired(kind));
  return Type.Object({ items: Type.Array(item, { maxItems: BATCH_MAX_ITEMS }) }, { additionalProperties: false });
}

export const BatchResponseSchema = Type.Object(
  {
    results: Type.Array(
      Type.Object({
        requested_uuid: Type.String(),
        uuid: Type.String(),
        outcome: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged'), Type.Literal('rejected')]),
        status: Type.Optional(Type.Integer()),
        detail: Type.Optional(Type.String()),
      }),
    ),
  },
  { $id: 'BatchResponse' },
);
