/** The batch upsert routes (docs/architecture.md): outcomes, natural-id adoption, partial rejection, events. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabaseKinds } from './support/databases.ts';
import { startTestApi, type TestApi } from './support/app.ts';

const outcomes = (json: { results: Array<{ outcome: string }> }) => json.results.map((r) => r.outcome);

for (const kind of testDatabaseKinds()) {
  describe(`batch upserts on ${kind}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi(kind);
      await api.call('POST', '/batch/acquisitions', { items: [{ uuid: 'acq', id: 'session-1', name: 'S' }] });
      await api.call('POST', '/batch/grids', { items: [{ uuid: 'grid', name: 'G', acquisition_uuid: 'acq' }] });
      await api.newEvents();
    });
    after(async () => {
      await api?.close();
    });

    test('created, then unchanged when resent, updated when a field changes; events only for writes', async () => {
      const squares = [
        { uuid: 'gs-1', gridsquare_id: '1', grid_uuid: 'grid', center_x: 10 },
        { uuid: 'gs-2', gridsquare_id: '2', grid_uuid: 'grid', acquisition_datetime: '2025-05-06T07:08:09' },
      ];
      const first = await api.call('POST', '/batch/gridsquares', { items: squares });
      assert.equal(first.status, 200);
      assert.deepEqual(outcomes(first.json), ['created', 'created']);
      assert.deepEqual(
        (await api.newEvents()).map((e) => e.event_type),
        ['gridsquare.created', 'gridsquare.created'],
      );

      const again = await api.call('POST', '/batch/gridsquares', { items: squares });
      assert.deepEqual(outcomes(again.json), ['unchanged', 'unchanged']);
      assert.deepEqual(await api.newEvents(), []);

      const changed = await api.call('POST', '/batch/gridsquares', { items: [{ ...squares[0], center_x: 11 }, squares[1]] });
      assert.deepEqual(outcomes(changed.json), ['updated', 'unchanged']);
      assert.deepEqual(await api.newEvents(), [{ event_type: 'gridsquare.updated', uuid: 'gs-1', grid_uuid: 'grid', gridsquare_id: '1' }]);
      assert.equal((await api.call('GET', '/gridsquares/gs-1')).json.center_x, 11);
      assert.equal((await api.call('GET', '/gridsquares/gs-2')).json.acquisition_datetime, '2025-05-06T07:08:09.000Z');
    });

    test('a natural id already stored under the parent is adopted: its stored uuid comes back', async () => {
      const res = await api.call('POST', '/batch/gridsquares', {
        items: [{ uuid: 'other-uuid', gridsquare_id: '1', grid_uuid: 'grid', state: 'Completed' }],
      });
      assert.deepEqual(res.json.results, [{ requested_uuid: 'other-uuid', uuid: 'gs-1', outcome: 'updated' }]);
      assert.equal((await api.call('GET', '/gridsquares/other-uuid')).status, 404);
      assert.equal((await api.call('GET', '/gridsquares/gs-1')).json.state, 'Completed');
      const events = await api.newEvents();
      assert.equal(events.length, 1);
      assert.equal(events[0].uuid, 'gs-1');
    });

    test('items with a missing parent are rejected with 404; the rest of the batch is applied', async () => {
      const res = await api.call('POST', '/batch/foilholes', {
        items: [
          { uuid: 'fh-1', foilhole_id: '10', gridsquare_id: '1', gridsquare_uuid: 'gs-1' },
          { uuid: 'fh-2', foilhole_id: '11', gridsquare_id: '9', gridsquare_uuid: 'missing-square' },
          { uuid: 'fh-3', foilhole_id: '12', gridsquare_id: '1', gridsquare_uuid: 'gs-1' },
        ],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(outcomes(res.json), ['created', 'rejected', 'created']);
      assert.equal(res.json.results[1].status, 404);
      assert.match(res.json.results[1].detail, /missing-square/);
      assert.equal((await api.call('GET', '/foilholes/fh-2')).status, 404);
      assert.equal((await api.newEvents()).length, 2);
    });

    test('a uuid and a natural id naming two different rows is a 409 rejection', async () => {
      const res = await api.call('POST', '/batch/foilholes', {
        items: [{ uuid: 'fh-1', foilhole_id: '12', gridsquare_id: '1', gridsquare_uuid: 'gs-1' }],
      });
      assert.equal(res.json.results[0].outcome, 'rejected');
      assert.equal(res.json.results[0].status, 409);
    });

    test('the same natural id under another parent is a different entity', async () => {
      await api.call('POST', '/batch/grids', { items: [{ uuid: 'grid-b', name: 'G2', acquisition_uuid: 'acq' }] });
      const res = await api.call('POST', '/batch/gridsquares', { items: [{ uuid: 'gs-b1', gridsquare_id: '1', grid_uuid: 'grid-b' }] });
      assert.deepEqual(res.json.results, [{ requested_uuid: 'gs-b1', uuid: 'gs-b1', outcome: 'created' }]);
      await api.newEvents();
    });

    test('an invalid item is rejected alone (422 naming its index and field); the valid items are applied', async () => {
      const res = await api.call('POST', '/batch/gridsquares', {
        items: [
          { uuid: 'x1', gridsquare_id: '5', grid_uuid: 'grid' },
          { uuid: 'x2', gridsquare_id: '6' },
        ],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(outcomes(res.json), ['created', 'rejected']);
      assert.equal(res.json.results[1].status, 422);
      assert.match(res.json.results[1].detail, /^items\/1\/grid_uuid: /);
      assert.equal((await api.call('GET', '/gridsquares/x1')).status, 200);
      assert.equal((await api.call('GET', '/gridsquares/x2')).status, 404);
      const wrongType = await api.call('POST', '/batch/micrographs', {
        items: [{ uuid: 'm', foilhole_id: '1', foilhole_uuid: 'fh-1', defocus: 'deep' }],
      });
      assert.equal(wrongType.status, 200);
      assert.match(wrongType.json.results[0].detail, /^items\/0\/defocus: must be/);
      assert.equal((await api.call('GET', '/micrographs/m')).status, 404);
      await api.newEvents();
    });

    test('a body that is not {items: [...]} of at most 5,000 items is a 400 naming the field; nothing is written', async () => {
      const tooMany = await api.call('POST', '/batch/acquisitions', { items: Array.from({ length: 5001 }, (_, i) => ({ uuid: `a${i}` })) });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.json.errors[0].field, 'items');
      const none = await api.call('POST', '/batch/acquisitions', {});
      assert.equal(none.status, 400);
      assert.equal(none.json.errors[0].field, 'items');
      assert.deepEqual(await api.newEvents(), []);
    });

    test('atlases, tiles and tile positions', async () => {
      assert.deepEqual(
        outcomes(
          (await api.call('POST', '/batch/atlases', { items: [{ uuid: 'atl', atlas_id: 'A', grid_uuid: 'grid', name: 'Atlas' }] })).json,
        ),
        ['created'],
      );
      const tiles = await api.call('POST', '/batch/atlas-tiles', {
        items: [
          { uuid: 't1', tile_id: '1', atlas_uuid: 'atl' },
          { uuid: 't1-again', tile_id: '1', atlas_uuid: 'atl', size_x: 4 },
        ],
      });
      assert.deepEqual(
        tiles.json.results.map((r: { uuid: string }) => r.uuid),
        ['t1', 't1'],
      );
      assert.equal((await api.call('GET', '/atlas-tiles/t1')).json.size_x, 4);
      const position = { atlastile_uuid: 't1', gridsquare_uuid: 'gs-1', center_x: 1, center_y: 2, size_width: 3, size_height: 4 };
      const pos = await api.call('POST', '/batch/atlas-tile-gridsquare-positions', {
        items: [position, { ...position, gridsquare_uuid: 'missing' }],
      });
      assert.deepEqual(outcomes(pos.json), ['created', 'rejected']);
      assert.equal(pos.json.results[0].uuid, 't1/gs-1');
      assert.deepEqual(outcomes((await api.call('POST', '/batch/atlas-tile-gridsquare-positions', { items: [position] })).json), [
        'unchanged',
      ]);
      assert.deepEqual(
        outcomes((await api.call('POST', '/batch/atlas-tile-gridsquare-positions', { items: [{ ...position, center_x: 9 }] })).json),
        ['updated'],
      );
      await api.newEvents();
    });

    test('5,000 micrographs in one batch, and concurrent identical batches write each row once', async () => {
      const items = Array.from({ length: 5000 }, (_, i) => ({
        uuid: `mic-${i}`,
        micrograph_id: `M${i}`,
        foilhole_id: '10',
        foilhole_uuid: 'fh-1',
        high_res_path: `/data/FoilHole_10_Data_${i}.tiff`,
        defocus: -1.2,
        image_size_x: 4096,
        energy_filter: true,
      }));
      const res = await api.call('POST', '/batch/micrographs', { items });
      assert.equal(res.status, 200);
      assert.equal(res.json.results.filter((r: { outcome: string }) => r.outcome === 'created').length, 5000);
      assert.equal((await api.newEvents()).length, 5000);

      const more = Array.from({ length: 200 }, (_, i) => ({
        uuid: `c-${i}`,
        micrograph_id: `C${i}`,
        foilhole_id: '12',
        foilhole_uuid: 'fh-3',
      }));
      const [a, b] = await Promise.all([
        api.call('POST', '/batch/micrographs', { items: more }),
        api.call('POST', '/batch/micrographs', { items: more }),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const created = [...outcomes(a.json), ...outcomes(b.json)].filter((o) => o === 'created').length;
      assert.equal(created, 200);
      assert.equal((await api.newEvents()).length, 200);
      assert.equal((await api.call('GET', '/foilholes/fh-3/micrographs')).json.length, 200);
    });

    test('created events (built by the database) carry the sent values, null for fields not sent, in request order', async () => {
      await api.newEvents();
      await api.call('POST', '/batch/acquisitions', {
        items: [
          { uuid: 'acq-ev-1', name: 'no id' },
          { uuid: 'acq-ev-2', id: 'S2', name: 'with id' },
        ],
      });
      await api.call('POST', '/batch/micrographs', {
        items: [
          { uuid: 'mic-ev-1', foilhole_uuid: 'fh-1', foilhole_id: '10', micrograph_id: 'E1', defocus: -1 },
          { uuid: 'mic-ev-2', foilhole_uuid: 'fh-1', foilhole_id: '10' },
          { uuid: 'mic-ev-3', foilhole_uuid: 'fh-1', foilhole_id: '10', micrograph_id: 'E"3\\ü' },
        ],
      });
      await api.call('POST', '/batch/foilholes', {
        items: [{ uuid: 'fh-ev', foilhole_id: '77', gridsquare_id: '1', gridsquare_uuid: 'gs-1' }],
      });
      await api.call('POST', '/batch/atlas-tiles', { items: [{ uuid: 'tile-ev', atlas_uuid: 'atl' }] });
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'acquisition.created', uuid: 'acq-ev-1', id: null },
        { event_type: 'acquisition.created', uuid: 'acq-ev-2', id: 'S2' },
        { event_type: 'micrograph.created', uuid: 'mic-ev-1', foilhole_uuid: 'fh-1', foilhole_id: '10', micrograph_id: 'E1' },
        // Not the stored default ('' for micrograph_id): the event describes the row as sent.
        { event_type: 'micrograph.created', uuid: 'mic-ev-2', foilhole_uuid: 'fh-1', foilhole_id: '10', micrograph_id: null },
        { event_type: 'micrograph.created', uuid: 'mic-ev-3', foilhole_uuid: 'fh-1', foilhole_id: '10', micrograph_id: 'E"3\\ü' },
        { event_type: 'foilhole.created', uuid: 'fh-ev', foilhole_id: '77', gridsquare_uuid: 'gs-1', gridsquare_id: '1' },
        { event_type: 'atlas_tile.created', uuid: 'tile-ev', id: null, atlas_uuid: 'atl' },
      ]);
    });

    test('a resent batch with changes updates every row in one pass, each with only its own changed columns', async () => {
      const items = [
        { uuid: 'mic-1', micrograph_id: 'M1', foilhole_id: '10', foilhole_uuid: 'fh-1', defocus: -2.5 },
        { uuid: 'mic-2', micrograph_id: 'M2', foilhole_id: '10', foilhole_uuid: 'fh-1', defocus: -2.5 },
        { uuid: 'mic-3', micrograph_id: 'M3', foilhole_id: '10', foilhole_uuid: 'fh-1', status: 'ctf completed', high_res_path: null },
        { uuid: 'mic-4', micrograph_id: 'M4', foilhole_id: '10', foilhole_uuid: 'fh-1' },
      ];
      const res = await api.call('POST', '/batch/micrographs', { items });
      assert.deepEqual(outcomes(res.json), ['updated', 'updated', 'updated', 'unchanged']);
      const m1 = (await api.call('GET', '/micrographs/mic-1')).json;
      assert.equal(m1.defocus, -2.5);
      assert.equal(m1.image_size_x, 4096, 'columns not sent are kept');
      const m3 = (await api.call('GET', '/micrographs/mic-3')).json;
      assert.equal(m3.status, 'ctf completed');
      assert.equal(m3.high_res_path, null);
      assert.equal(m3.defocus, -1.2);
      assert.deepEqual(
        (await api.newEvents()).map((e) => `${e.event_type} ${e.uuid}`),
        ['micrograph.updated mic-1', 'micrograph.updated mic-2', 'micrograph.updated mic-3'],
      );
    });
  });
}
