// EPU's default order as the atlas page gets it: good micrographs by beam time, placed at SmartEM's acquisition times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epuDefaultPoints, goodMicrographsByBeamTime } from './epu-default.ts';

test("EPU's default order: good micrographs by beam time, one point per SmartEM hole at its acquisition time", () => {
  const goodAt = goodMicrographsByBeamTime([
    { holeId: 1, beamTime: 0, acquiredMs: 10, good: true, micrographs: 2 },
    { holeId: 2, beamTime: 1, acquiredMs: 20, good: false, micrographs: 2 },
    { holeId: 3, beamTime: 7, acquiredMs: 30, good: true, micrographs: 3 },
  ]);
  assert.deepEqual([-1, 0, 0.5, 1, 6.9, 7, 100].map(goodAt), [0, 2, 2, 2, 2, 5, 5]);
  // SmartEM's holes as the play reported them: the third's files completed before the second's.
  const hole = (holeId: number, beamTime: number, acquiredMs: number) => ({ holeId, holes: 0, good: 0, beamTime, acquiredMs });
  assert.deepEqual(epuDefaultPoints([hole(5, 0, 1000), hole(7, 8, 3000), hole(6, 6, 2000)], goodAt), [
    { t: 1000, beam_time: 0, good: 2 },
    { t: 2000, beam_time: 6, good: 2 },
    { t: 3000, beam_time: 8, good: 5 },
  ]);
});
