/**
 * The atlas's counts from the live stream (`LiveCounts`): a new foil hole or micrograph counted as its change arrives,
 * once; a re-read that may predate a counted change neither takes the count back nor counts it twice, and a re-read with
 * no counted change since it started is shown as it is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GridOverview } from '@smartem/common';
import { LiveCounts } from '../src/app/liveCounts.ts';

const square = (uuid: string, micrographs: number, foilholes = 1) => ({
  gridsquare_uuid: uuid,
  gridsquare_id: uuid,
  center_x: 0,
  center_y: 0,
  size_width: 10,
  size_height: 10,
  unusable: null,
  foilholes,
  micrographs,
  with_ctf: 0,
  good: 0,
  mean_ctf: null,
  last_acquired: null,
});

const overview = (...squares: ReturnType<typeof square>[]) =>
  ({ grid_uuid: 'g', name: 'g', ctf_max_resolution: 6, squares }) as unknown as GridOverview;

const created = (kind: 'micrograph' | 'foilhole', uuid: string, square: string | null) => ({
  event_type: `${kind}.created`,
  gridsquare_uuid: square,
  payload: { uuid },
});

const counts = (o: GridOverview | null) =>
  Object.fromEntries((o?.squares ?? []).map((s) => [s.gridsquare_uuid, [s.foilholes, s.micrographs]]));

test('a new micrograph or foil hole counts on its square at once, once; other changes and unknown squares wait for the re-read', () => {
  const live = new LiveCounts();
  assert.equal(live.apply(created('micrograph', 'm0', 'a')), null, 'nothing read yet');
  live.reread(overview(square('a', 2), square('b', 0)), live.mark());
  assert.deepEqual(counts(live.apply(created('micrograph', 'm1', 'a'))), { a: [1, 3], b: [1, 0] });
  assert.equal(live.apply(created('micrograph', 'm1', 'a')), null, 'the same micrograph again');
  assert.deepEqual(counts(live.apply(created('foilhole', 'h1', 'b'))), { a: [1, 3], b: [2, 0] });
  assert.equal(live.apply(created('micrograph', 'm2', 'c')), null, 'a square the page does not have yet');
  assert.equal(live.apply({ event_type: 'micrograph.updated', gridsquare_uuid: 'a', payload: { uuid: 'm1' } }), null);
  assert.deepEqual(counts(live.shown), { a: [1, 3], b: [2, 0] });
});

test('a re-read started before a counted change keeps the larger count; one started after it is shown as it is', () => {
  const live = new LiveCounts();
  live.reread(overview(square('a', 2)), live.mark());
  const early = live.mark();
  live.apply(created('micrograph', 'm1', 'a'));
  // Started before m1 was counted and without it: the count stays 3.
  assert.deepEqual(counts(live.reread(overview(square('a', 2)), early)), { a: [1, 3] });
  // Started before m1 was counted and with it: 3, not 4.
  assert.deepEqual(counts(live.reread(overview(square('a', 3)), early)), { a: [1, 3] });
  // Started after: whatever it says, also fewer (a micrograph deleted meanwhile).
  assert.deepEqual(counts(live.reread(overview(square('a', 2)), live.mark())), { a: [1, 2] });
  // And the next change counts on top of that.
  assert.deepEqual(counts(live.apply(created('micrograph', 'm2', 'a'))), { a: [1, 3] });
});
