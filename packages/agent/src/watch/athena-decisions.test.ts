import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDecision } from '@smartem/athena';
import { ATLAS_AREA_ID, InstructionPayloadError, planDecisions, stableUuid } from './athena-decisions.ts';

const message = (instruction_type: string, payload: Record<string, unknown>, instruction_id = 'i-1') => ({
  instruction_id,
  instruction_type,
  payload,
  created_at: '2026-12-04T20:00:00.000Z',
});

const holes = {
  grid_uuid: 'g',
  gridsquare_uuid: 'gs',
  gridsquare_id: '19493759',
  foilhole_order: [
    { foilhole_uuid: 'b', foilhole_id: '19513702', priority_score: 0.9 },
    { foilhole_uuid: 'a', foilhole_id: '19513700', priority_score: 0.5 },
  ],
  foilholes_to_skip: [{ foilhole_uuid: 'c', foilhole_id: '19513701' }],
};

test('foil hole order: areas parents first, selection and order on the square, stable ids and timestamp', () => {
  const plan = planDecisions(message('athena.control.reorder_foilholes', holes), 'me');
  assert.equal(plan.gridUuid, 'g');
  assert.deepEqual(plan.areas, [
    { id: ATLAS_AREA_ID, areaType: 'atlas', parentId: null },
    { id: 19493759, areaType: 'gridsquare', parentId: ATLAS_AREA_ID },
    { id: 19513702, areaType: 'foilhole', parentId: 19493759 },
    { id: 19513700, areaType: 'foilhole', parentId: 19493759 },
    { id: 19513701, areaType: 'foilhole', parentId: 19493759 },
  ]);
  assert.deepEqual(
    plan.decisions.map((d) => [d.areaId, decodeDecision(d)]),
    [
      [
        19493759,
        {
          decisionType: 'foilHoleSelection',
          verdicts: [
            { areaId: 19513702, include: true },
            { areaId: 19513700, include: true },
            { areaId: 19513701, include: false },
          ],
        },
      ],
      [19493759, { decisionType: 'acquisitionOrder', order: [19513702, 19513700] }],
    ],
  );
  assert.ok(plan.decisions.every((d) => d.timestamp === '2026-12-04T20:00:00.000Z' && d.pluginType === 'custom' && d.decidedBy === 'me'));
  // The same instruction gives the same records; another gives other ids.
  assert.deepEqual(planDecisions(message('athena.control.reorder_foilholes', holes), 'me'), plan);
  const other = planDecisions(message('athena.control.reorder_foilholes', holes, 'i-2'), 'me');
  assert.notEqual(other.decisions[0]!.id, plan.decisions[0]!.id);
  assert.match(stableUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('square skip and square order', () => {
  const skip = planDecisions(
    message('athena.control.skip_gridsquares', {
      grid_uuid: 'g',
      gridsquares_to_skip: [{ gridsquare_uuid: 'x', gridsquare_id: '7', skip_reason: 'ice' }],
    }),
    'me',
  );
  assert.deepEqual(
    skip.decisions.map((d) => [d.areaId, d.decisionType, d.decisionValue]),
    [[7, 'include', 'false']],
  );
  const order = planDecisions(
    message('athena.control.reorder_gridsquares', {
      grid_uuid: 'g',
      gridsquare_order: [
        { gridsquare_uuid: 'y', gridsquare_id: '9', quality_score: 1 },
        { gridsquare_uuid: 'x', gridsquare_id: '7', quality_score: 0.5 },
      ],
    }),
    'me',
  );
  assert.deepEqual(
    order.decisions.map((d) => [d.areaId, d.decisionType, d.decisionValue]),
    [
      [ATLAS_AREA_ID, 'acquisitionOrder', '[9,7]'],
      [ATLAS_AREA_ID, 'gridSquareSelection', '[{"areaId":9,"result":"true"},{"areaId":7,"result":"true"}]'],
      // Each square to collect is included again: an earlier skip of it is withdrawn.
      [9, 'include', 'true'],
      [7, 'include', 'true'],
    ],
  );
});

test("an operator's skip of a square and include of a hole", () => {
  const area = { grid_uuid: 'g', gridsquare_uuid: 'x', gridsquare_id: '7', reason: 'operator' };
  const square = planDecisions(message('athena.control.select_area', { ...area, include: false }), 'me');
  assert.deepEqual(square.areas, [
    { id: ATLAS_AREA_ID, areaType: 'atlas', parentId: null },
    { id: 7, areaType: 'gridsquare', parentId: ATLAS_AREA_ID },
  ]);
  assert.deepEqual(
    square.decisions.map((d) => [d.areaId, d.decisionType, d.decisionValue]),
    [[7, 'include', 'false']],
  );
  const hole = planDecisions(
    message('athena.control.select_area', { ...area, foilhole_uuid: 'h', foilhole_id: '71', include: true }),
    'me',
  );
  assert.deepEqual(hole.areas.at(-1), { id: 71, areaType: 'foilhole', parentId: 7 });
  assert.deepEqual(
    hole.decisions.map((d) => [d.areaId, d.decisionType, d.decisionValue]),
    [[71, 'include', 'true']],
  );
});

test('what cannot be applied is an InstructionPayloadError naming the problem', () => {
  const fails = (type: string, payload: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => planDecisions(message(type, payload), 'me'),
      (e: unknown) => e instanceof InstructionPayloadError && pattern.test(e.message),
    );
  fails('athena.control.focus', {}, /unknown instruction type "athena.control.focus"/);
  fails('athena.control.skip_gridsquares', { grid_uuid: 'g' }, /payload must have required properties gridsquares_to_skip/);
  fails('athena.control.reorder_foilholes', { ...holes, gridsquare_id: '99999999999' }, /gridsquare_id: EPU id 99999999999 does not fit/);
  fails(
    'athena.control.reorder_foilholes',
    { ...holes, foilholes_to_skip: [{ foilhole_uuid: 'c', foilhole_id: 'FH-1' }] },
    /foilholes_to_skip\[0\]\.foilhole_id/,
  );
});

test('square-level decisions go on the atlas area given (the Atlas.dm id EPU registers)', () => {
  const order = planDecisions(
    message('athena.control.reorder_gridsquares', {
      grid_uuid: 'g',
      gridsquare_order: [{ gridsquare_uuid: 'a', gridsquare_id: '19493759', quality_score: 1 }],
    }),
    'me',
    5771299,
  );
  assert.deepEqual(order.areas, [
    { id: 5771299, areaType: 'atlas', parentId: null },
    { id: 19493759, areaType: 'gridsquare', parentId: 5771299 },
  ]);
  assert.deepEqual(
    order.decisions.map((d) => [d.areaId, d.decisionType]),
    [
      [5771299, 'acquisitionOrder'],
      [5771299, 'gridSquareSelection'],
      [19493759, 'include'],
    ],
  );
});

test("an operator's include or skip of a hole: the hole under its square, the square under the atlas EPU registered", () => {
  const area = { grid_uuid: 'g', gridsquare_uuid: 'x', gridsquare_id: '7', foilhole_uuid: 'h', foilhole_id: '71', reason: 'operator' };
  for (const include of [true, false]) {
    const plan = planDecisions(message('athena.control.select_area', { ...area, include }), 'me', 900);
    assert.deepEqual(plan.areas, [
      { id: 900, areaType: 'atlas', parentId: null },
      { id: 7, areaType: 'gridsquare', parentId: 900 },
      { id: 71, areaType: 'foilhole', parentId: 7 },
    ]);
    assert.deepEqual(
      plan.decisions.map((d) => [d.areaId, d.decisionType, d.decisionValue]),
      [[71, 'include', String(include)]],
    );
  }
});
