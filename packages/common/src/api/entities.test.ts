import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { batchRequired, ENTITY_KINDS, ENTITY_WIRES, KIND_ORDER, KINDS, parentsOf, type CreateBody, type Kind } from './entities.ts';
import { BATCH_ROUTES, batchItemProblems, batchPath, batchRequestSchema, isBatchItem } from './batch.ts';
import { ENTITY_EVENT_SCHEMAS, ENTITY_EVENT_TYPES, entityEvent, eventPayloadFields, EVENT_KINDS } from './events.ts';
import type { Fields } from './fields.ts';

test('kinds come parents first; batch routes follow that order', () => {
  assert.deepEqual(KIND_ORDER, ['acquisition', 'grid', 'atlas', 'atlastile', 'gridsquare', 'position', 'foilhole', 'micrograph']);
  for (const kind of KIND_ORDER) {
    for (const parent of parentsOf(kind))
      assert.ok(KIND_ORDER.indexOf(parent.kind) < KIND_ORDER.indexOf(kind), `${parent.kind} before ${kind}`);
  }
  assert.deepEqual(Object.values(BATCH_ROUTES), KIND_ORDER);
  assert.equal(batchPath('atlastile'), 'batch/atlas-tiles');
  assert.deepEqual(
    ENTITY_KINDS,
    KIND_ORDER.filter((k) => k !== 'position'),
  );
});

test("every name the table uses is one of the kind's fields; payload fields are strings (SQL builds them as text)", () => {
  for (const kind of KIND_ORDER) {
    const spec = KINDS[kind];
    const fields: Fields = spec.fields;
    const named = [
      ...spec.createRequired,
      ...parentsOf(kind).map((p) => p.field),
      ...Object.values(spec.payload),
      ...(spec.natural ? [spec.natural] : []),
    ];
    for (const name of named) assert.ok(name in fields, `${kind}: ${name} is not a field`);
    for (const field of Object.values(spec.payload)) assert.equal(fields[field]!.kind, 'string', `${kind}: payload field ${field}`);
    if (spec.defaultStatus) {
      const status = fields.status!.kind;
      assert.ok(typeof status === 'object' && status.enum.includes(spec.defaultStatus), `${kind}: default status`);
    }
  }
});

test("batch items require the create body's keys and every parent uuid", () => {
  assert.deepEqual(batchRequired('micrograph'), ['uuid', 'foilhole_id', 'foilhole_uuid']);
  assert.deepEqual(batchRequired('position'), ['atlastile_uuid', 'gridsquare_uuid', 'center_x', 'center_y', 'size_width', 'size_height']);
  const schema = batchRequestSchema('gridsquare');
  assert.equal(Value.Check(schema, { items: [{ uuid: 'u', gridsquare_id: '7', grid_uuid: 'g' }] }), true);
  assert.equal(Value.Check(schema, { items: [{ uuid: 'u', gridsquare_id: '7' }] }), false);
  assert.equal(Value.Check(schema, { items: [{ uuid: 'u', gridsquare_id: '7', grid_uuid: 'g', bogus: 1 }] }), false);
});

test('create bodies are typed per kind', () => {
  const hole: CreateBody<'foilhole'> = { uuid: 'h', foilhole_id: '1', gridsquare_id: '7', gridsquare_uuid: 's', quality: 0.5 };
  // @ts-expect-error: foilhole_id is required
  const missing: CreateBody<'foilhole'> = { uuid: 'h', gridsquare_id: '7', gridsquare_uuid: 's' };
  // @ts-expect-error: quality is a number
  const wrong: CreateBody<'foilhole'> = { ...hole, quality: 'high' };
  assert.ok(Value.Check(ENTITY_WIRES.foilhole.create, hole));
  assert.ok(!Value.Check(ENTITY_WIRES.foilhole.create, missing));
  assert.ok(!Value.Check(ENTITY_WIRES.foilhole.create, wrong));
});

test('events carry the declared payload, null when the row lacks it; deleted carries the uuid only', () => {
  const atlas = { uuid: 'a', atlas_id: 'A1', grid_uuid: 'g', name: 'atlas' };
  assert.deepEqual(entityEvent('atlas', 'created', atlas), { event_type: 'atlas.created', uuid: 'a', id: 'A1', grid_uuid: 'g' });
  assert.deepEqual(entityEvent('atlas_tile', 'updated', { uuid: 't', atlas_uuid: 'a' }), {
    event_type: 'atlas_tile.updated',
    uuid: 't',
    id: null,
    atlas_uuid: 'a',
  });
  assert.deepEqual(entityEvent('micrograph', 'deleted', { uuid: 'm', foilhole_id: '1' }), { event_type: 'micrograph.deleted', uuid: 'm' });
  assert.deepEqual(eventPayloadFields('foilhole'), [
    ['uuid', 'uuid'],
    ['foilhole_id', 'foilhole_id'],
    ['gridsquare_uuid', 'gridsquare_uuid'],
    ['gridsquare_id', 'gridsquare_id'],
  ]);
  assert.equal(EVENT_KINDS.atlas_tile, 'atlastile');
});

test('each event type has a schema that accepts the built event and rejects others', () => {
  assert.equal(ENTITY_EVENT_TYPES.length, ENTITY_KINDS.length * 3);
  for (const type of ENTITY_EVENT_TYPES) {
    const [event, action] = type.split('.') as [keyof typeof EVENT_KINDS, 'created' | 'updated' | 'deleted'];
    const kind: Kind = EVENT_KINDS[event];
    const row: Record<string, unknown> & { uuid: string } = { uuid: 'u' };
    for (const field of Object.values(KINDS[kind].payload)) row[field] = 'x';
    const built = entityEvent(event, action, row);
    const schema = ENTITY_EVENT_SCHEMAS[type];
    assert.ok(Value.Check(schema, built), type);
    assert.ok(Value.Check(schema, entityEvent(event, action, { uuid: 'u' })), `${type} with nulls`);
    assert.ok(!Value.Check(schema, { ...built, event_type: `${event}.other` }), `${type}: event_type`);
    assert.ok(!Value.Check(schema, { ...built, extra: 1 }), `${type}: extra field`);
    if (action !== 'deleted') {
      const { [Object.keys(KINDS[kind].payload)[0]!]: _dropped, ...partial } = built;
      if (Object.keys(KINDS[kind].payload).length > 0) assert.ok(!Value.Check(schema, partial), `${type}: missing field`);
    }
  }
});

test('batch items are checked locally as the backend checks them, naming the field', () => {
  const item = { uuid: 'm', foilhole_uuid: 'h', foilhole_id: '1', micrograph_id: 'E1', defocus: -1.5 };
  assert.ok(isBatchItem('micrograph', item));
  assert.deepEqual(batchItemProblems('micrograph', item), []);
  assert.ok(!isBatchItem('micrograph', { ...item, defocus: 'near' }));
  assert.match(batchItemProblems('micrograph', { ...item, defocus: 'near' }).join('\n'), /\/defocus/);
  assert.match(batchItemProblems('micrograph', { uuid: 'm', foilhole_id: '1' }).join('\n'), /foilhole_uuid/);
  assert.ok(!isBatchItem('position', { atlastile_uuid: 't', gridsquare_uuid: 's', center_x: 1, center_y: 2, size_width: 3 }));
  assert.ok(!isBatchItem('acquisition', { uuid: 'a', start_time: 'yesterday' }));
});
