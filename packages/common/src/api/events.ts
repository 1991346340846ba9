/**
 * The original's bus events: `{event_type, uuid, ...payload}`, every declared field present (null when absent). The
 * payload of each entity is declared once in `KINDS`; the builder, the pairs SQL uses and the schemas derive from it.
 */
import type { TSchema } from 'typebox';
import { ENTITY_KINDS, KINDS, type EntityKind } from './entities.ts';
import { fieldSchema, objectSchema, required, str, type Fields, type FieldSpec } from './fields.ts';

export type EntityEventName = (typeof KINDS)[EntityKind]['event'];
export const ENTITY_EVENT_ACTIONS = ['created', 'updated', 'deleted'] as const;
export type EntityEventAction = (typeof ENTITY_EVENT_ACTIONS)[number];
export type EntityEventType = `${EntityEventName}.${EntityEventAction}`;

/** Event name → the kind that publishes it. */
export const EVENT_KINDS = Object.fromEntries(ENTITY_KINDS.map((k) => [KINDS[k].event, k])) as Record<EntityEventName, EntityKind>;
/** Every `<entity>.<action>` event type. */
export const ENTITY_EVENT_TYPES: readonly EntityEventType[] = ENTITY_KINDS.flatMap((k) =>
  ENTITY_EVENT_ACTIONS.map((action) => `${KINDS[k].event}.${action}` as EntityEventType),
);

export interface EntityEvent {
  event_type: EntityEventType;
  uuid: string;
  [field: string]: unknown;
}

/**
 * `[payloadKey, field]` of an entity's `.created` / `.updated` payload, `uuid` first: what `entityEvent` reads from a
 * row, and what SQL selects to build the same payload (every one a string field, so its JSON is the API's).
 */
export function eventPayloadFields(event: EntityEventName): ReadonlyArray<readonly [key: string, field: string]> {
  return PAYLOAD_FIELDS[event];
}

const PAYLOAD_FIELDS = {} as Record<EntityEventName, ReadonlyArray<readonly [string, string]>>;
for (const k of ENTITY_KINDS) PAYLOAD_FIELDS[KINDS[k].event] = [['uuid', 'uuid'], ...Object.entries<string>(KINDS[k].payload)];

type Row = Record<string, unknown>;

/** The event of `action` on a stored row (`deleted` carries only the uuid). */
export function entityEvent(event: EntityEventName, action: EntityEventAction, row: Row & { uuid: string }): EntityEvent {
  const out: EntityEvent = { event_type: `${event}.${action}`, uuid: row.uuid };
  if (action === 'deleted') return out;
  for (const [key, field] of PAYLOAD_FIELDS[event]) out[key] = row[field] ?? null;
  return out;
}

/** The same field, null allowed (an event field is null when the row has no value). */
const nullable = (field: FieldSpec): FieldSpec => ({ ...field, nullable: true });

function eventSchema(kind: EntityKind, action: EntityEventAction): TSchema {
  const { name, event, fields } = KINDS[kind];
  const all: Fields = { uuid: required(str()) };
  if (action !== 'deleted') {
    for (const [key, field] of PAYLOAD_FIELDS[event]) if (key !== 'uuid') all[key] = nullable((fields as Fields)[field]!);
  }
  const schema = objectSchema(`${name}${action[0]!.toUpperCase()}${action.slice(1)}Event`, all, Object.keys(all)) as TSchema & {
    properties: Record<string, TSchema>;
    required: string[];
  };
  schema.properties = { event_type: fieldSchema({ kind: { enum: [`${event}.${action}`] }, nullable: false }), ...schema.properties };
  schema.required = ['event_type', ...schema.required];
  return schema;
}

/** One JSON schema per event type (`GridSquareCreatedEvent`, …): the exact body published on the bus. */
export const ENTITY_EVENT_SCHEMAS = Object.fromEntries(
  ENTITY_KINDS.flatMap((k) => ENTITY_EVENT_ACTIONS.map((action) => [`${KINDS[k].event}.${action}`, eventSchema(k, action)])),
) as Record<EntityEventType, TSchema>;
