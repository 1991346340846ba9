import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DecisionValueError,
  INT32_MAX,
  acquisitionOrderDecision,
  areaIdFromEpu,
  decodeAcquisitionOrder,
  decodeDecision,
  decodeInclude,
  decodeSelection,
  encodeAcquisitionOrder,
  encodeInclude,
  encodeSelection,
  foilHoleSelectionDecision,
  includeDecision,
} from '../src/decision-values.ts';

const ctx = { sessionId: '3fa85f64-5717-4562-b3fc-2c963f66afa6', decidedBy: 'smartem' };

test('EPU natural ids map to int32 area ids; anything else is an error naming the value', () => {
  assert.equal(areaIdFromEpu('19493759'), 19493759);
  assert.equal(areaIdFromEpu(' 19513700 '), 19513700);
  assert.equal(areaIdFromEpu(String(INT32_MAX)), INT32_MAX);
  assert.equal(areaIdFromEpu(42), 42);
  assert.throws(
    () => areaIdFromEpu(String(INT32_MAX + 1)),
    (e: Error) => e instanceof DecisionValueError && /2147483648.*int32/.test(e.message),
  );
  for (const bad of ['', '-1', '12.5', '1e5', 'GridSquare_1', '0x10']) {
    assert.throws(() => areaIdFromEpu(bad), DecisionValueError, bad);
  }
});

test('include values are "true"/"false"; reading accepts .NET casing and rejects the rest', () => {
  assert.equal(encodeInclude(false), 'false');
  assert.equal(decodeInclude('true'), true);
  assert.equal(decodeInclude('False'), false);
  assert.throws(() => decodeInclude('no'), /expected "true" or "false"/);
  assert.throws(() => decodeInclude(null), DecisionValueError);
});

test('foil hole selection reads the published sample value and writes the same shape', () => {
  const sample = '[{"areaId":100,"result":"true"},{"areaId":101,"result":"false"},{"areaId":102,"result":"true"}]';
  const verdicts = decodeSelection(sample);
  assert.deepEqual(verdicts, [
    { areaId: 100, include: true },
    { areaId: 101, include: false },
    { areaId: 102, include: true },
  ]);
  assert.equal(encodeSelection(verdicts), sample);
  assert.throws(() => decodeSelection('{"areaId":1}'), /not a JSON array/);
  assert.throws(() => decodeSelection('[{"areaId":"1","result":"true"}]'), /\[0\]\.areaId is not a number/);
  assert.throws(() => decodeSelection('[{"areaId":1,"result":true}]'), /\[0\]\.result/);
  assert.throws(() => decodeSelection('[oops'), /not JSON/);
  assert.throws(() => encodeSelection([{ areaId: INT32_MAX + 1, include: true }]), /int32/);
});

test('acquisition order is JSON text of child ids in order; duplicates and non-ids are refused', () => {
  assert.equal(encodeAcquisitionOrder([19513702, 19513700]), '[19513702,19513700]');
  assert.deepEqual(decodeAcquisitionOrder('[3,1,2]'), [3, 1, 2]);
  assert.throws(() => encodeAcquisitionOrder([1, 2, 1]), /twice/);
  assert.throws(() => decodeAcquisitionOrder('[1,"2"]'), /\[1\] is not a number/);
  assert.throws(() => decodeAcquisitionOrder('[-1]'), /int32/);
});

test('decision builders give complete records that decode back to what was meant', () => {
  const skip = includeDecision({ ...ctx, details: 'bad gridsquare' }, 12, false);
  assert.equal(skip.decisionType, 'include');
  assert.equal(skip.decisionValue, 'false');
  assert.equal(skip.pluginType, 'custom');
  assert.equal(skip.details, 'bad gridsquare');
  assert.match(skip.id!, /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(skip.timestamp!)));
  assert.deepEqual(decodeDecision(skip), { decisionType: 'include', include: false });

  const holes = foilHoleSelectionDecision(ctx, 12, [{ areaId: 100, include: true }]);
  assert.deepEqual(decodeDecision(holes), { decisionType: 'foilHoleSelection', verdicts: [{ areaId: 100, include: true }] });
  const order = acquisitionOrderDecision({ ...ctx, pluginType: 'dummy' }, 12, [101, 100]);
  assert.equal(order.pluginType, 'dummy');
  assert.deepEqual(decodeDecision(order), { decisionType: 'acquisitionOrder', order: [101, 100] });
  assert.deepEqual(decodeDecision({ decisionType: 'focus', decisionValue: 'x' }), { decisionType: 'focus', value: 'x' });
  assert.throws(() => includeDecision(ctx, -5, true), /int32/);
});
