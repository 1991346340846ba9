/** Processing results in (HTTP and bus handlers), decision.updated out, live rankings that follow the results. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@smartem/common';
import { eq } from 'drizzle-orm';
import { testDatabaseKinds } from './support/databases.ts';
import { startTestApi, type TestApi } from './support/app.ts';
import { micrograph } from '../src/db/schema.ts';
import { processingHandlers } from '../src/worker/handlers/processing.ts';
import { PermanentMessageError } from '../src/bus/errors.ts';

const log = createLogger({ level: 'silent', pretty: false });
const SQUARES = ['sq-a', 'sq-b'];
const HOLES_PER_SQUARE = 12;
/**
 * Each square's holes on a 4 × 3 lattice; the first six (the ones given results) sit on alternate lattice points, so
 * the results cover the square rather than one side of it, which the learner's within-group gradient would otherwise
 * extrapolate to the far side.
 */
const LATTICE = [0, 2, 5, 7, 8, 10, 1, 3, 4, 6, 9, 11];

for (const kind of testDatabaseKinds()) {
  describe(`processing results and suggestions on ${kind}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi(kind);
      await api.call('POST', '/batch/acquisitions', { items: [{ uuid: 'acq', name: 'S' }] });
      await api.call('POST', '/batch/grids', { items: [{ uuid: 'grid', name: 'G', acquisition_uuid: 'acq' }] });
      await api.call('POST', '/batch/gridsquares', {
        items: SQUARES.map((uuid, i) => ({ uuid, gridsquare_id: String(i + 1), grid_uuid: 'grid' })),
      });
      const holes = SQUARES.flatMap((sq) =>
        Array.from({ length: HOLES_PER_SQUARE }, (_, i) => ({
          uuid: `${sq}-fh${i}`,
          foilhole_id: `${sq}${i}`,
          gridsquare_uuid: sq,
          gridsquare_id: sq,
          x_location: (LATTICE[i] % 4) * 10,
          y_location: Math.floor(LATTICE[i] / 4) * 10,
        })),
      );
      const res = await api.call('POST', '/batch/foilholes', { items: holes });
      assert.ok(res.json.results.every((r: { outcome: string }) => r.outcome === 'created'));
      const mics = holes
        .slice(0, 6)
        .concat(holes.slice(HOLES_PER_SQUARE, HOLES_PER_SQUARE + 6))
        .map((h) => ({
          uuid: `mic-${h.uuid}`,
          micrograph_id: `m-${h.uuid}`,
          foilhole_uuid: h.uuid,
          foilhole_id: h.foilhole_id,
        }));
      const m = await api.call('POST', '/batch/micrographs', { items: mics });
      assert.ok(
        m.json.results.every((r: { outcome: string }) => r.outcome === 'created'),
        JSON.stringify(m.json),
      );
      await api.newEvents();
    });
    after(async () => {
      await api?.close();
    });

    test('a result is stored with its status and announced once; the same result again changes nothing', async () => {
      const body = { total_motion: 12.5, average_motion: 0.8 };
      const first = await api.call('POST', '/micrographs/mic-sq-a-fh0/motion_correction', body);
      assert.equal(first.status, 200);
      assert.deepEqual(first.json, {
        micrograph_uuid: 'mic-sq-a-fh0',
        event_type: 'motion_correction.completed',
        outcome: 'updated',
        grid_uuid: 'grid',
      });
      const events = await api.newEvents();
      assert.deepEqual(events, [
        {
          event_type: 'decision.updated',
          grid_uuid: 'grid',
          gridsquare_uuid: 'sq-a',
          foilhole_uuid: 'sq-a-fh0',
          micrograph_uuid: 'mic-sq-a-fh0',
          trigger: 'motion_correction.completed',
        },
      ]);
      const again = await api.call('POST', '/micrographs/mic-sq-a-fh0/motion_correction', body);
      assert.equal(again.json.outcome, 'unchanged');
      assert.deepEqual(await api.newEvents(), []);
      const row = await api.call('GET', '/micrographs/mic-sq-a-fh0');
      assert.equal(row.json.total_motion, 12.5);
      assert.equal(row.json.status, 'motion correction completed');
    });

    test('the bus handlers store the same way and are idempotent; status never moves backwards', async () => {
      const ctx = { db: api.db.handle.db, log, info: { attempt: 1, redelivered: false } };
      const msg = {
        event_type: 'particle_picking.completed',
        micrograph_uuid: 'mic-sq-a-fh0',
        number_of_particles_picked: 250,
        pick_distribution: { a: 1 },
      };
      await processingHandlers['particle_picking.completed'](msg, ctx);
      await processingHandlers['particle_picking.completed'](msg, { ...ctx, info: { attempt: 2, redelivered: true } });
      assert.equal((await api.newEvents()).length, 1);
      await processingHandlers['ctf.completed'](
        { event_type: 'ctf.completed', micrograph_uuid: 'mic-sq-a-fh0', ctf_max_resolution_estimate: 3.9 },
        ctx,
      );
      const [row] = await api.db.handle.db.select().from(micrograph).where(eq(micrograph.uuid, 'mic-sq-a-fh0'));
      assert.equal(row.number_of_particles_picked, 250);
      assert.equal(row.pick_distribution, '{"a":1}');
      assert.equal(row.ctf_max_resolution_estimate, 3.9);
      assert.equal(row.status, 'particle picking completed');
      await api.newEvents();
    });

    test('bad payloads: 422 naming the field over HTTP, dead-lettered at once on the bus; unknown micrograph 404 / retried', async () => {
      const bad = await api.call('POST', '/micrographs/mic-sq-a-fh1/ctf', {});
      assert.equal(bad.status, 422);
      assert.match(bad.json.detail, /ctf_max_resolution_estimate/);
      const negative = await api.call('POST', '/micrographs/mic-sq-a-fh1/ctf', { ctf_max_resolution_estimate: -1 });
      assert.equal(negative.status, 422);
      assert.match(JSON.stringify(negative.json), /ctf_max_resolution_estimate/);
      assert.equal((await api.call('POST', '/micrographs/nope/ctf', { ctf_max_resolution_estimate: 4 })).status, 404);
      const ctx = { db: api.db.handle.db, log, info: { attempt: 1, redelivered: false } };
      await assert.rejects(
        processingHandlers['particle_selection.completed'](
          { event_type: 'particle_selection.completed', micrograph_uuid: 'mic-sq-a-fh1', number_of_particles_selected: 'ten' },
          ctx,
        ),
        (err: Error) => err instanceof PermanentMessageError && /number_of_particles_selected/.test(err.message),
      );
      await assert.rejects(
        processingHandlers['ctf.completed']({ event_type: 'ctf.completed', micrograph_uuid: 'nope', ctf_max_resolution_estimate: 4 }, ctx),
        (err: Error) => !(err instanceof PermanentMessageError) && /nope not found/.test(err.message),
      );
      assert.deepEqual(await api.newEvents(), []);
    });

    test('suggestions follow the results: the square whose holes come out bad drops to the bottom and is skipped', async () => {
      const ranking = async () => (await api.call('GET', '/grids/grid/suggested_squares')).json;
      const initial = await ranking();
      assert.equal(initial.authority, 'online-learner');
      assert.deepEqual(initial.squares.map((s: { gridsquare_uuid: string }) => s.gridsquare_uuid).sort(), SQUARES);
      for (let i = 0; i < 6; i++) {
        const a = await api.call('POST', `/micrographs/mic-sq-a-fh${i}/ctf`, { ctf_max_resolution_estimate: 9 + i });
        assert.equal(a.status, 200);
        await api.call('POST', `/micrographs/mic-sq-b-fh${i}/ctf`, { ctf_max_resolution_estimate: 3 + i / 10 });
      }
      const after = await ranking();
      assert.equal(after.foilholes_with_quality, 12);
      assert.equal(after.squares[0].gridsquare_uuid, 'sq-b');
      assert.equal(after.squares[1].gridsquare_uuid, 'sq-a');
      assert.equal(after.squares[1].decision, 'skip');
      assert.equal(after.squares[0].remaining_holes, HOLES_PER_SQUARE - 6);
      // Each square's estimated share of good holes with its interval, and the observed share beside it.
      type Estimate = {
        p_good_mean: number;
        p_good_low: number;
        p_good_high: number;
        observed_good_share?: number;
        observed_holes: number;
      };
      const [good, bad] = after.squares as Estimate[];
      for (const s of [good, bad]) {
        assert.ok(
          0 <= s.p_good_low && s.p_good_low <= s.p_good_mean && s.p_good_mean <= s.p_good_high && s.p_good_high <= 1,
          JSON.stringify(s),
        );
        assert.ok(s.p_good_low < s.p_good_high, `an interval with some width: ${JSON.stringify(s)}`);
        assert.equal(s.observed_holes, 6);
      }
      assert.ok(good.p_good_mean > 0.5 && bad.p_good_mean < 0.5 && good.p_good_mean > bad.p_good_high, JSON.stringify(after.squares));
      assert.equal(good.observed_good_share, 1);
      assert.equal(bad.observed_good_share, 0);
      // Without the learner's group uncertainty, the interval comes from the count of results.
      const weighted = (await api.call('GET', '/grids/grid/suggested_squares?authority=model-weighting')).json.squares as Estimate[];
      assert.ok(
        weighted.every((s) => 0 <= s.p_good_low && s.p_good_low <= s.p_good_mean && s.p_good_mean <= s.p_good_high && s.p_good_high <= 1),
      );

      const holes = await api.call('GET', '/gridsquares/sq-b/suggested_holes');
      assert.equal(holes.status, 200);
      assert.equal(holes.json.holes.length, HOLES_PER_SQUARE - 6);
      assert.ok(
        holes.json.holes.every(
          (h: { foilhole_uuid: string; probability_good: number }) => !/fh[0-5]$/.test(h.foilhole_uuid) && h.probability_good > 0.5,
        ),
      );
      const badSquare = await api.call('GET', '/gridsquares/sq-a/suggested_holes?authority=online-learner');
      assert.ok(badSquare.json.holes.every((h: { probability_good: number }) => h.probability_good < 0.5));
    });

    test('an authority chosen for the grid is used until a request names another', async () => {
      assert.deepEqual((await api.call('GET', '/grids/grid/decision_authority')).json, {
        grid_uuid: 'grid',
        authority: 'online-learner',
        source: 'default',
      });
      const put = await api.call('PUT', '/grids/grid/decision_authority', { authority: 'model-weighting' });
      assert.deepEqual(put.json, { grid_uuid: 'grid', authority: 'model-weighting', source: 'grid' });
      assert.equal((await api.call('GET', '/grids/grid/suggested_squares')).json.authority, 'model-weighting');
      assert.equal((await api.call('GET', '/gridsquares/sq-a/suggested_holes')).json.authority, 'model-weighting');
      assert.equal((await api.call('GET', '/grids/grid/suggested_squares?authority=online-learner')).json.authority, 'online-learner');
      assert.equal((await api.call('PUT', '/grids/grid/decision_authority', { authority: 'oracle' })).status, 422);
      assert.equal((await api.call('PUT', '/grids/nope/decision_authority', { authority: 'random-mock' })).status, 404);
      assert.equal((await api.call('GET', '/grids/nope/decision_authority')).status, 404);
      await api.call('PUT', '/grids/grid/decision_authority', { authority: 'online-learner' });
    });

    test("a model's predictions by EPU foil hole id: stored, announced, used by the ranking; unknown ids listed back", async () => {
      await api.newEvents();
      const post = (grid: string, body: unknown) => api.call('POST', `/grids/${grid}/predictions`, body);
      const res = await post('grid', {
        model: 'hole-scorer',
        predictions: [
          { foilhole_id: 'sq-a9', value: 0.95 },
          { foilhole_id: 'no-such-hole', value: 0.5 },
        ],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { grid_uuid: 'grid', model: 'hole-scorer', stored: 1, unknown_foilhole_ids: ['no-such-hole'] });
      assert.deepEqual(await api.newEvents(), [{ event_type: 'decision.updated', grid_uuid: 'grid', trigger: 'predictions' }]);
      const holes = (await api.call('GET', '/gridsquares/sq-a/suggested_holes')).json.holes;
      assert.equal(holes[0].foilhole_uuid, 'sq-a-fh9', 'the hole predicted good comes first in its bad square');
      // Nothing known: nothing stored, nothing announced.
      assert.deepEqual((await post('grid', { model: 'hole-scorer', predictions: [{ foilhole_id: 'x', value: 0.1 }] })).json.stored, 0);
      assert.deepEqual(await api.newEvents(), []);
      const bad = await post('grid', { model: 'hole-scorer', predictions: [{ foilhole_id: 'sq-a9', value: 1.5 }] });
      assert.equal(bad.status, 422);
      assert.match(JSON.stringify(bad.json), /predictions\/0\/value/);
      assert.equal((await post('nope', { model: 'hole-scorer', predictions: [] })).status, 404);
    });

    test('authorities are chosen per request; unknown grid, square or authority are clear errors', async () => {
      const mock = await api.call('GET', '/grids/grid/suggested_squares?authority=random-mock');
      assert.equal(mock.json.authority, 'random-mock');
      assert.equal((await api.call('GET', '/grids/nope/suggested_squares')).status, 404);
      assert.equal((await api.call('GET', '/gridsquares/nope/suggested_holes')).status, 404);
      const bad = await api.call('GET', '/grids/grid/suggested_squares?authority=oracle');
      assert.equal(bad.status, 400);
    });
  });
}
