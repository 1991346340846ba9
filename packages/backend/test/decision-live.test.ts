/** The live decision view of a grid, as loaded from the database, and rankings that follow each stored result. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';
import * as schema from '../src/db/schema.ts';
import { loadLiveGrid } from '../src/services/decisions/suggestions.ts';
import { applyProcessingResult } from '../src/services/processing.ts';
import { suggestedHoles, suggestedSquares } from '../src/services/decisions/suggestions.ts';
import { DEFAULT_QUALITY } from '@smartem/decisions';

const SQUARES = ['sq-a', 'sq-b'];
const HOLES = 12;
const MICS = 6; // per square, on its first holes

for (const kind of testDatabaseKinds()) {
  describe(`live decisions loaded from ${kind}`, () => {
    let tdb: TestDatabase;
    before(async () => {
      tdb = await openTestDatabase(kind);
      const db = tdb.handle.db;
      await db.insert(schema.acquisition).values({ uuid: 'acq', name: 'live' });
      await db.insert(schema.grid).values({ uuid: 'grid', name: 'live', acquisition_uuid: 'acq' });
      await db.insert(schema.gridsquare).values(SQUARES.map((uuid, i) => ({ uuid, gridsquare_id: String(i + 1), grid_uuid: 'grid' })));
      await db.insert(schema.foilhole).values(
        SQUARES.flatMap((sq) =>
          Array.from({ length: HOLES }, (_, i) => ({
            uuid: `${sq}-fh${i}`,
            foilhole_id: `${sq}-${i}`,
            gridsquare_uuid: sq,
            gridsquare_id: sq,
            // hole 0 has only a centre; hole 1 is near a grid bar; hole 2 was deselected by EPU
            x_location: i === 0 ? null : (i % 4) * 10,
            y_location: i === 0 ? null : Math.floor(i / 4) * 10,
            center_x: i === 0 ? 12.5 : null,
            center_y: i === 0 ? 7.25 : null,
            is_near_grid_bar: i === 1,
            selected: i === 2 ? false : null,
            position_quality: i === 3 ? 0.75 : null,
          })),
        ),
      );
      await db.insert(schema.micrograph).values(
        SQUARES.flatMap((sq, s) =>
          Array.from({ length: MICS }, (_, i) => ({
            uuid: `mic-${sq}-${i}`,
            micrograph_id: `m-${sq}-${i}`,
            foilhole_uuid: `${sq}-fh${i}`,
            foilhole_id: `${sq}-${i}`,
            acquisition_datetime: new Date(Date.UTC(2026, 0, 1, 10, s * MICS + i)),
          })),
        ),
      );
      await db.insert(schema.qualitypredictionmodel).values([{ name: 'model-a' }]);
      await db.insert(schema.qualityprediction).values([
        { prediction_model_name: 'model-a', foilhole_uuid: 'sq-a-fh5', value: 0.9, timestamp: new Date(Date.UTC(2026, 0, 1, 9)) },
        { prediction_model_name: 'model-a', foilhole_uuid: 'sq-a-fh5', value: 0.2, timestamp: new Date(Date.UTC(2026, 0, 1, 11)) },
        { prediction_model_name: 'model-a', gridsquare_uuid: 'sq-b', value: 0.7, timestamp: new Date(Date.UTC(2026, 0, 1, 9)) },
      ]);
    });
    after(async () => {
      await tdb?.drop();
    });

    test('holes, hints, latest predictions and the current position come from the rows', async () => {
      const live = await loadLiveGrid(tdb.handle.db, 'grid', DEFAULT_QUALITY);
      const g = live.grid;
      assert.equal(g.holeCount, SQUARES.length * HOLES);
      const hole = (uuid: string): number => g.holeIndex.get(uuid)!;
      assert.equal(live.holeNaturalIds[hole('sq-a-fh7')], 'sq-a-7');
      assert.deepEqual([g.x[hole('sq-a-fh0')], g.y[hole('sq-a-fh0')]], [12.5, 7.25]);
      assert.deepEqual([g.x[hole('sq-a-fh7')], g.y[hole('sq-a-fh7')]], [30, 10]);
      assert.deepEqual(
        [1, 2, 3].map((i) => g.epuSelected[hole(`sq-a-fh${i}`)]),
        [0, 0, 1],
      );
      assert.deepEqual(g.hintNames, ['epu_position_quality']);
      assert.equal(g.hints[0][hole('sq-a-fh3')], 0.75);
      assert.ok(Number.isNaN(g.hints[0][hole('sq-a-fh4')]));
      // the latest hole prediction wins; a square prediction stands in for holes without their own
      const logit = (p: number): number => Math.log(p / (1 - p));
      assert.deepEqual(g.modelNames, ['model-a']);
      assert.ok(Math.abs(g.scores[0][hole('sq-a-fh5')] - logit(0.2)) < 1e-12);
      assert.ok(Math.abs(g.scores[0][hole('sq-b-fh9')] - logit(0.7)) < 1e-12);
      assert.ok(Number.isNaN(g.scores[0][hole('sq-a-fh9')]));
      assert.equal(live.current, hole(`sq-b-fh${MICS - 1}`), 'the most recently acquired micrograph');
      assert.equal(live.micrographs, SQUARES.length * MICS);
      assert.equal(live.decidedHoles, 0, 'no results yet');
    });

    test('the ranking served after each new result reflects that result', async () => {
      const db = tdb.handle.db;
      const store = async (sq: string, ctf: number): Promise<void> => {
        for (let i = 0; i < MICS; i++) {
          const uuid = `mic-${sq}-${i}`;
          assert.equal(
            (await applyProcessingResult({ db }, 'ctf.completed', uuid, { ctf_max_resolution_estimate: ctf })).outcome,
            'updated',
          );
        }
      };
      const order = async (): Promise<string[]> =>
        (await suggestedSquares(db, 'grid', 'online-learner', DEFAULT_QUALITY))!.squares.map((s) => s.gridsquare_uuid);
      await store('sq-a', 3);
      await store('sq-b', 12);
      assert.deepEqual(await order(), ['sq-a', 'sq-b']);
      const before = (await suggestedHoles(db, 'sq-b', 'online-learner', DEFAULT_QUALITY))!.holes[0].probability_good;
      await store('sq-a', 12);
      await store('sq-b', 3);
      assert.deepEqual(await order(), ['sq-b', 'sq-a']);
      const after = (await suggestedHoles(db, 'sq-b', 'online-learner', DEFAULT_QUALITY))!.holes[0].probability_good;
      assert.ok(after > before, `good results on sq-b raise its holes' probability (${before} → ${after})`);
      const squares = await suggestedSquares(db, 'grid', 'online-learner', DEFAULT_QUALITY);
      assert.equal(squares!.foilholes_with_quality, SQUARES.length * MICS);
    });
  });
}
