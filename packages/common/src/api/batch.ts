/** The batch upsert extension (docs/architecture.md "HTTP API: batch upserts"): request and response shapes. */
import { Type, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { batchRequired, KIND_ORDER, KINDS, type BatchItem, type Kind } from './entities.ts';
import { objectSchema, schemaErrorMessage } from './fields.ts';

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

/** One item of a kind's batch: its create body, with its parents' uuids required. */
export const batchItemSchema = (kind: Kind): TSchema => objectSchema(undefined, KINDS[kind].fields, batchRequired(kind));

/** `{items: [...]}` of one kind's batch items. */
export function batchRequestSchema(kind: Kind): TSchema {
  return Type.Object({ items: Type.Array(batchItemSchema(kind), { maxItems: BATCH_MAX_ITEMS }) }, { additionalProperties: false });
}

const itemValidators = new Map<Kind, Validator>();
function itemValidator(kind: Kind): Validator {
  let validator = itemValidators.get(kind);
  if (!validator) itemValidators.set(kind, (validator = Compile(batchItemSchema(kind))));
  return validator;
}

/** Is `value` a valid batch item of `kind` (what the backend's batch route accepts)? */
export function isBatchItem<K extends Kind>(kind: K, value: unknown): value is BatchItem<K> {
  return itemValidator(kind).Check(value);
}

/** Why `value` is not a valid batch item of `kind`: one error per problem, naming its field (`center_x`; `` for the item). */
export function batchItemErrors(kind: Kind, value: unknown): Array<{ field: string; message: string }> {
  return itemValidator(kind)
    .Errors(value)
    .flatMap((e) => {
      const path = e.instancePath.replace(/^\//, '');
      const missing = (e.params as { requiredProperties?: unknown }).requiredProperties;
      if (e.keyword === 'required' && Array.isArray(missing)) {
        return missing.map((p) => ({ field: path ? `${path}/${String(p)}` : String(p), message: 'is required' }));
      }
      return [{ field: path, message: schemaErrorMessage(e) }];
    });
}

/** Why `value` is not a valid batch item of `kind`, one line per problem naming the field (empty when it is). */
export function batchItemProblems(kind: Kind, value: unknown): string[] {
  return batchItemErrors(kind, value).map((e) => `/${e.field}: ${e.message}`);
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
