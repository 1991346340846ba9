import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundHeap } from './heap-bound.ts';

const HOUR = 3_600_000; // the tests call check() themselves

test('heap bound: a collection past the floor frees unreachable objects', () => {
  const bound = boundHeap({ floorBytes: 1, intervalMs: HOUR });
  try {
    let garbage: number[][] | undefined = [];
    for (let i = 0; i < 500; i++) garbage.push(new Array(10_000).fill(i)); // ~40 MB
    const withGarbage = process.memoryUsage().heapUsed;
    garbage = undefined;
    assert.equal(bound.check(), true);
    const after = process.memoryUsage().heapUsed;
    assert.ok(after < withGarbage - 20 * 2 ** 20, `heap used ${withGarbage} -> ${after}`);
    assert.equal(bound.collections, 1);
  } finally {
    bound.stop();
  }
});

test('heap bound: no collection under the floor, nor within the allowed growth over the last live size', () => {
  let used = 10;
  const bound = boundHeap({ floorBytes: 100, growth: 1.5, intervalMs: HOUR, heapUsed: () => used });
  try {
    assert.equal(bound.check(), false);
    used = 200; // over the floor: collects; this fake reading then says 200 stayed live
    assert.equal(bound.check(), true);
    used = 290; // under 1.5 × 200
    assert.equal(bound.check(), false);
    used = 310;
    assert.equal(bound.check(), true);
    assert.equal(bound.collections, 2);
  } finally {
    bound.stop();
  }
});
