/** The batch upsert extension (docs/architecture.md "HTTP API: batch upserts"): request and response shapes. */
import { Type, type TSchema } from 'typebox';
import { ENTITY_WIRES, POSITION_WIRE, type EntityKey } from './entities.ts';
import { objectSchema } from './fields.ts';

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

/** Batch route path segment → entity, in parent-before-child order. */
export const BATCH_ROUTES = {
  acquisitions: 'acquisition',
  grids: 'grid',
  atlases: 'atlas',
  'atlas-tiles': 'atlastile',
  'atlas-tile-gridsquare-positions': 'position',
  gridsquares: 'gridsquare',
  foilholes: 'foilhole',
  micrographs: 'micrograph',
} as const satisfies Record<string, EntityKey | 'position'>;

/** The parent uuid an item of each entity must carry in a batch (null for acquisitions). */
export const BATCH_PARENT_FIELD: Record<EntityKey, string | null> = {
  acquisition: null,
  grid: 'acquisition_uuid',
  atlas: 'grid_uuid',
  atlastile: 'atlas_uuid',
  gridsquare: 'grid_uuid',
  foilhole: 'gridsquare_uuid',
  micrograph: 'foilhole_uuid',
};

/** `{items: [...]}` of one entity's create body, with its parent uuid required. */
export function batchRequestSchema(entity: EntityKey | 'position'): TSchema {
  let item: TSchema;
  if (entity === 'position') {
    item = POSITION_WIRE.batchItem;
  } else {
    const wire = ENTITY_WIRES[entity];
    const parent = BATCH_PARENT_FIELD[entity];
    const requiredKeys = parent ? [...new Set([...wire.createRequired, parent])] : wire.createRequired;
    item = objectSchema(undefined, wire.fields, requiredKeys);
  }
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
