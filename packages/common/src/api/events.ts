/**
 * The original's bus events (seed-spec §7.2): `{event_type, ...payload}`, every declared field present (null when
 * absent). One builder per entity so the API and batch routes publish identical bodies.
 */
export type EntityEventName = 'acquisition' | 'grid' | 'atlas' | 'atlas_tile' | 'gridsquare' | 'foilhole' | 'micrograph';
export type EntityEventAction = 'created' | 'updated' | 'deleted';

export interface EntityEvent {
  event_type: `${EntityEventName}.${EntityEventAction}`;
  uuid: string;
  [field: string]: unknown;
}

type Row = Record<string, unknown>;
const v = (row: Row, key: string): unknown => row[key] ?? null;

/** Payload fields of `<entity>.created` / `.updated`, taken from the stored row. */
const PAYLOAD: Record<EntityEventName, (row: Row) => Record<string, unknown>> = {
  acquisition: (r) => ({ id: v(r, 'id') }),
  grid: (r) => ({ acquisition_uuid: v(r, 'acquisition_uuid') }),
  atlas: (r) => ({ id: v(r, 'atlas_id'), grid_uuid: v(r, 'grid_uuid') }),
  atlas_tile: (r) => ({ id: v(r, 'tile_id'), atlas_uuid: v(r, 'atlas_uuid') }),
  gridsquare: (r) => ({ grid_uuid: v(r, 'grid_uuid'), gridsquare_id: v(r, 'gridsquare_id') }),
  foilhole: (r) => ({ foilhole_id: v(r, 'foilhole_id'), gridsquare_uuid: v(r, 'gridsquare_uuid'), gridsquare_id: v(r, 'gridsquare_id') }),
  micrograph: (r) => ({ foilhole_uuid: v(r, 'foilhole_uuid'), foilhole_id: v(r, 'foilhole_id'), micrograph_id: v(r, 'micrograph_id') }),
};

export function entityEvent(entity: EntityEventName, action: EntityEventAction, row: Row & { uuid: string }): EntityEvent {
  const event_type = `${entity}.${action}` as const;
  if (action === 'deleted') return { event_type, uuid: row.uuid };
  return { event_type, uuid: row.uuid, ...PAYLOAD[entity](row) };
}
