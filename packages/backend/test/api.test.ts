/** Every route of the original API, success and error paths, on PGlite and (when set) PostgreSQL. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabaseKinds } from './support/databases.ts';
import { startTestApi, type TestApi } from './support/app.ts';

for (const kind of testDatabaseKinds()) {
  describe(`original API routes on ${kind}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi(kind);
    });
    after(async () => {
      await api?.close();
    });

    test('/status and /health', async () => {
      const status = await api.call('GET', '/status');
      assert.equal(status.status, 200);
      assert.equal(status.json.service, 'SmartEM Decisions API');
      assert.deepEqual(status.json.endpoints, { health: '/health', status: '/status', docs: '/docs', openapi: '/openapi.json' });
      const health = await api.call('GET', '/health');
      assert.equal(health.status, 200);
      assert.equal(health.json.status, 'ok');
      assert.equal(health.json.services.database.status, 'ok');
    });

    test('acquisitions: create, read, list, update, conflicts and validation', async () => {
      const created = await api.call('POST', '/acquisitions', {
        uuid: 'acq-1',
        name: 'Session',
        status: 'started',
        start_time: '2025-01-02T03:04:05',
      });
      assert.equal(created.status, 201);
      assert.equal(created.json.status, 'started');
      assert.equal(created.json.start_time, '2025-01-02T03:04:05.000Z');
      assert.deepEqual(await api.newEvents(), [{ event_type: 'acquisition.created', uuid: 'acq-1', id: null }]);

      assert.equal((await api.call('POST', '/acquisitions', { uuid: 'acq-1' })).status, 409);
      const invalid = await api.call('POST', '/acquisitions', { uuid: 'acq-2', status: 'flying' });
      assert.equal(invalid.status, 422);
      assert.equal(invalid.json.errors[0].field, 'status');
      assert.match(invalid.json.detail, /status/);
      const missing = await api.call('POST', '/acquisitions', { name: 'no uuid' });
      assert.equal(missing.status, 422);
      assert.equal(missing.json.errors[0].field, 'uuid');

      const defaulted = await api.call('POST', '/acquisitions', { uuid: 'acq-2' });
      assert.equal(defaulted.json.status, 'planned');
      assert.equal(defaulted.json.name, 'Unknown');
      await api.newEvents();

      assert.equal((await api.call('GET', '/acquisitions/acq-1')).json.name, 'Session');
      const notFound = await api.call('GET', '/acquisitions/nope');
      assert.equal(notFound.status, 404);
      assert.equal(notFound.json.detail, 'Acquisition not found');
      const all = await api.call('GET', '/acquisitions');
      assert.deepEqual(
        all.json.map((a: { uuid: string }) => a.uuid),
        ['acq-1', 'acq-2'],
      );
      assert.deepEqual(
        (await api.call('GET', '/acquisitions?limit=1&offset=1')).json.map((a: { uuid: string }) => a.uuid),
        ['acq-2'],
      );
      assert.deepEqual(
        (await api.call('GET', '/acquisitions?status=started')).json.map((a: { uuid: string }) => a.uuid),
        ['acq-1'],
      );
      assert.equal((await api.call('GET', '/acquisitions?limit=0')).status, 400);

      const updated = await api.call('PUT', '/acquisitions/acq-1', { status: 'completed', start_time: null, unknown_key: 1 });
      assert.equal(updated.status, 200);
      assert.equal(updated.json.status, 'completed');
      assert.equal(updated.json.start_time, null);
      assert.equal(updated.json.name, 'Session');
      assert.deepEqual(await api.newEvents(), [{ event_type: 'acquisition.updated', uuid: 'acq-1', id: null }]);
      assert.equal((await api.call('PUT', '/acquisitions/nope', { name: 'x' })).status, 404);
      assert.equal((await api.call('PUT', '/acquisitions/acq-1', { name: null })).status, 422);
      assert.deepEqual(await api.newEvents(), []);
    });

    test('grids under an acquisition', async () => {
      const grid = await api.call('POST', '/acquisitions/acq-1/grids', {
        uuid: 'grid-1',
        name: 'Grid 1',
        acquisition_uuid: 'acq-1',
        data_dir: '/data/g1',
      });
      assert.equal(grid.status, 201);
      assert.equal(grid.json.status, 'none');
      assert.deepEqual(await api.newEvents(), [{ event_type: 'grid.created', uuid: 'grid-1', acquisition_uuid: 'acq-1' }]);
      assert.equal((await api.call('POST', '/acquisitions/nope/grids', { uuid: 'g-x', name: 'x', acquisition_uuid: 'nope' })).status, 404);
      assert.equal((await api.call('POST', '/acquisitions/acq-1/grids', { uuid: 'g-x', acquisition_uuid: 'acq-1' })).status, 422);
      assert.deepEqual(
        (await api.call('GET', '/acquisitions/acq-1/grids')).json.map((g: { uuid: string }) => g.uuid),
        ['grid-1'],
      );
      assert.deepEqual((await api.call('GET', '/acquisitions/acq-2/grids')).json, []);
      assert.equal((await api.call('GET', '/acquisitions/nope/grids')).status, 404);
      assert.equal((await api.call('GET', '/grids')).json.length, 1);
      assert.equal((await api.call('GET', '/grids/grid-1')).json.data_dir, '/data/g1');
      assert.equal((await api.call('GET', '/grids/nope')).json.detail, 'Grid not found');
      const put = await api.call('PUT', '/grids/grid-1', { status: 'scan started' });
      assert.equal(put.json.status, 'scan started');
      assert.equal((await api.call('GET', '/grids/grid-1')).json.status, 'scan started');
      assert.equal((await api.call('PUT', '/grids/grid-1', { acquisition_uuid: 'nope' })).status, 404);
      await api.newEvents();
    });

    test('atlas with tiles, tiles, and tile-to-square positions', async () => {
      const atlas = await api.call('POST', '/grids/grid-1/atlas', {
        uuid: 'atlas-1',
        grid_uuid: 'grid-1',
        name: 'Atlas',
        atlas_id: 'A1',
        tiles: [{ uuid: 'tile-1', atlas_uuid: 'ignored', tile_id: '1', position_x: 0, position_y: 0 }],
      });
      assert.equal(atlas.status, 201);
      assert.deepEqual(atlas.json.tiles, []);
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'atlas.created', uuid: 'atlas-1', id: 'A1', grid_uuid: 'grid-1' },
        { event_type: 'atlas_tile.created', uuid: 'tile-1', id: '1', atlas_uuid: 'atlas-1' },
      ]);
      assert.equal((await api.call('POST', '/grids/nope/atlas', { uuid: 'a-x', grid_uuid: 'nope', name: 'x' })).status, 404);
      assert.equal((await api.call('GET', '/grids/grid-1/atlas')).json.uuid, 'atlas-1');
      const noAtlas = await api.call('POST', '/acquisitions/acq-1/grids', { uuid: 'grid-2', name: 'Grid 2', acquisition_uuid: 'acq-1' });
      assert.equal(noAtlas.status, 201);
      assert.equal((await api.call('GET', '/grids/grid-2/atlas')).json.detail, 'Atlas not found for this grid');
      assert.equal((await api.call('GET', '/atlases')).json.length, 1);
      assert.equal((await api.call('GET', '/atlases/atlas-1')).json.atlas_id, 'A1');
      assert.equal((await api.call('GET', '/atlases/nope')).json.detail, 'Atlas not found');
      assert.equal((await api.call('PUT', '/atlases/atlas-1', { description: 'd' })).json.description, 'd');

      const tile = await api.call('POST', '/atlases/atlas-1/tiles', { uuid: 'tile-2', atlas_uuid: 'atlas-1', tile_id: '2' });
      assert.equal(tile.status, 201);
      assert.equal((await api.call('POST', '/atlases/atlas-1/tiles', { uuid: 'tile-3', atlas_uuid: 'atlas-1', tile_id: '2' })).status, 409);
      assert.deepEqual(
        (await api.call('GET', '/atlases/atlas-1/tiles')).json.map((t: { uuid: string }) => t.uuid),
        ['tile-1', 'tile-2'],
      );
      assert.equal((await api.call('GET', '/atlas-tiles')).json.length, 2);
      assert.equal((await api.call('GET', '/atlas-tiles/tile-2')).json.tile_id, '2');
      assert.equal((await api.call('GET', '/atlas-tiles/nope')).json.detail, 'Atlas tile not found');
      assert.equal((await api.call('PUT', '/atlas-tiles/tile-2', { size_x: 10 })).json.size_x, 10);
      assert.equal((await api.call('DELETE', '/atlas-tiles/tile-2')).status, 204);
      assert.equal((await api.call('GET', '/atlas-tiles/tile-2')).status, 404);
      assert.equal((await api.call('DELETE', '/atlas-tiles/tile-2')).status, 404);
      const events = await api.newEvents();
      assert.deepEqual(events.at(-1), { event_type: 'atlas_tile.deleted', uuid: 'tile-2' });

      await api.call('POST', '/grids/grid-1/gridsquares', { uuid: 'gs-1', gridsquare_id: '100', grid_uuid: 'grid-1' });
      const position = { center_x: 10, center_y: 20, size_width: 5, size_height: 6 };
      const link = await api.call('POST', '/atlas-tiles/tile-1/gridsquares/gs-1', position);
      assert.equal(link.status, 201);
      assert.deepEqual(link.json, { atlastile_uuid: 'tile-1', gridsquare_uuid: 'gs-1', ...position });
      assert.equal((await api.call('POST', '/atlas-tiles/tile-1/gridsquares/gs-1', position)).status, 409);
      assert.equal((await api.call('POST', '/atlas-tiles/nope/gridsquares/gs-1', position)).status, 404);
      assert.equal((await api.call('POST', '/atlas-tiles/tile-1/gridsquares/gs-1', { center_x: 1 })).status, 422);
      await api.newEvents();
    });

    test('grid squares, foil holes and micrographs', async () => {
      assert.equal(
        (await api.call('POST', '/grids/grid-1/gridsquares', { uuid: 'gs-2', gridsquare_id: '100', grid_uuid: 'grid-1' })).status,
        409,
      );
      const gs = await api.call('POST', '/grids/grid-2/gridsquares', {
        uuid: 'gs-2',
        gridsquare_id: '100',
        grid_uuid: 'grid-2',
        selected: true,
      });
      assert.equal(gs.status, 201, 'the same natural id under another grid is allowed');
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'gridsquare.created', uuid: 'gs-2', grid_uuid: 'grid-2', gridsquare_id: '100' },
      ]);
      assert.deepEqual(
        (await api.call('GET', '/grids/grid-1/gridsquares')).json.map((s: { uuid: string }) => s.uuid),
        ['gs-1'],
      );
      assert.equal((await api.call('GET', '/gridsquares')).json.length, 2);
      assert.deepEqual(
        (await api.call('GET', '/gridsquares?grid_uuid=grid-2&gridsquare_id=100')).json.map((s: { uuid: string }) => s.uuid),
        ['gs-2'],
      );
      assert.equal((await api.call('GET', '/gridsquares/gs-2')).json.selected, true);
      assert.equal((await api.call('GET', '/gridsquares/nope')).json.detail, 'Grid Square not found');
      assert.equal(
        (await api.call('PUT', '/gridsquares/gs-2', { status: 'foil holes decision started' })).json.status,
        'foil holes decision started',
      );

      const fh = await api.call('POST', '/gridsquares/gs-1/foilholes', {
        uuid: 'fh-1',
        foilhole_id: '200',
        gridsquare_id: '100',
        gridsquare_uuid: 'gs-1',
        diameter: 3,
        selected: true,
        position_quality: 0.7,
      });
      assert.equal(fh.status, 201);
      assert.equal(fh.json.selected, true, 'additive field the parser extracts');
      assert.equal(fh.json.position_quality, 0.7);
      assert.equal(fh.json.status, 'none');
      assert.equal(fh.json.is_near_grid_bar, false);
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'gridsquare.updated', uuid: 'gs-2', grid_uuid: 'grid-2', gridsquare_id: '100' },
        { event_type: 'foilhole.created', uuid: 'fh-1', foilhole_id: '200', gridsquare_uuid: 'gs-1', gridsquare_id: '100' },
      ]);
      assert.deepEqual(
        (await api.call('GET', '/gridsquares/gs-1/foilholes')).json.map((f: { uuid: string }) => f.uuid),
        ['fh-1'],
      );
      assert.deepEqual((await api.call('GET', '/gridsquares/gs-2/foilholes')).json, []);
      assert.equal((await api.call('GET', '/foilholes')).json.length, 1);
      assert.equal((await api.call('GET', '/foilholes/fh-1')).json.diameter, 3);
      assert.equal((await api.call('GET', '/foilholes/nope')).json.detail, 'Foil Hole not found');
      assert.equal((await api.call('PUT', '/foilholes/fh-1', { quality: 0.5 })).json.quality, 0.5);
      assert.equal((await api.call('POST', '/gridsquares/gs-1/foilholes', { uuid: 'fh-x', foilhole_id: '201' })).status, 422);

      const mic = await api.call('POST', '/foilholes/fh-1/micrographs', {
        uuid: 'mic-1',
        foilhole_id: '200',
        micrograph_id: 'M1',
        acquisition_datetime: '2025-01-02T03:04:05+01:00',
        defocus: -1.5,
      });
      assert.equal(mic.status, 201);
      assert.equal(mic.json.status, 'none');
      assert.equal(mic.json.foilhole_uuid, 'fh-1');
      assert.equal(mic.json.acquisition_datetime, '2025-01-02T02:04:05.000Z');
      await api.call('POST', '/foilholes/fh-1/micrographs', { uuid: 'mic-2', foilhole_id: '200' });
      assert.equal(
        (await api.call('POST', '/foilholes/fh-1/micrographs', { uuid: 'mic-3', foilhole_id: '200' })).status,
        201,
        'micrographs without a natural id do not collide',
      );
      assert.equal((await api.call('POST', '/foilholes/nope/micrographs', { uuid: 'mic-4', foilhole_id: '200' })).status, 404);
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'foilhole.updated', uuid: 'fh-1', foilhole_id: '200', gridsquare_uuid: 'gs-1', gridsquare_id: '100' },
        { event_type: 'micrograph.created', uuid: 'mic-1', foilhole_uuid: 'fh-1', foilhole_id: '200', micrograph_id: 'M1' },
        { event_type: 'micrograph.created', uuid: 'mic-2', foilhole_uuid: 'fh-1', foilhole_id: '200', micrograph_id: '' },
        { event_type: 'micrograph.created', uuid: 'mic-3', foilhole_uuid: 'fh-1', foilhole_id: '200', micrograph_id: '' },
      ]);
      assert.equal((await api.call('GET', '/foilholes/fh-1/micrographs')).json.length, 3);
      assert.equal((await api.call('GET', '/micrographs')).json.length, 3);
      assert.equal((await api.call('GET', '/micrographs/mic-1')).json.defocus, -1.5);
      assert.equal((await api.call('GET', '/micrographs/nope')).json.detail, 'Micrograph not found');
      const processed = await api.call('PUT', '/micrographs/mic-1', { status: 'ctf completed', ctf_max_resolution_estimate: 3.2 });
      assert.equal(processed.json.status, 'ctf completed');
      assert.equal((await api.call('GET', '/micrographs?status=ctf%20completed')).json.length, 1);
      assert.equal((await api.call('DELETE', '/micrographs/mic-3')).status, 204);
      assert.equal((await api.call('DELETE', '/micrographs/mic-3')).status, 404);
      await api.newEvents();
    });

    test('deletes really delete, with cascade, and publish one event', async () => {
      assert.equal((await api.call('DELETE', '/foilholes/nope')).status, 404);
      assert.equal((await api.call('DELETE', '/gridsquares/gs-1')).status, 204);
      assert.equal((await api.call('GET', '/foilholes/fh-1')).status, 404);
      assert.equal((await api.call('GET', '/micrographs/mic-1')).status, 404);
      assert.deepEqual(await api.newEvents(), [{ event_type: 'gridsquare.deleted', uuid: 'gs-1' }]);
      assert.equal((await api.call('DELETE', '/atlases/atlas-1')).status, 204);
      assert.equal((await api.call('GET', '/atlas-tiles/tile-1')).status, 404);
      assert.equal((await api.call('DELETE', '/grids/grid-2')).status, 204);
      assert.equal((await api.call('GET', '/gridsquares/gs-2')).status, 404);
      assert.equal((await api.call('DELETE', '/acquisitions/acq-1')).status, 204);
      assert.equal((await api.call('GET', '/grids')).json.length, 0);
      assert.deepEqual(await api.newEvents(), [
        { event_type: 'atlas.deleted', uuid: 'atlas-1' },
        { event_type: 'grid.deleted', uuid: 'grid-2' },
        { event_type: 'acquisition.deleted', uuid: 'acq-1' },
      ]);
    });

    test('OpenAPI document and unknown routes', async () => {
      const doc = await api.call('GET', '/docs/json');
      assert.equal(doc.status, 200);
      assert.ok(doc.json.paths['/gridsquares/{gridsquare_uuid}/foilholes'].post);
      assert.ok(doc.json.components.schemas.GridSquareCreate);
      const expected = [
        'get /status',
        'get /health',
        ...[
          'acquisitions/{acquisition_uuid}',
          'grids/{grid_uuid}',
          'atlases/{atlas_uuid}',
          'atlas-tiles/{tile_uuid}',
          'gridsquares/{gridsquare_uuid}',
          'foilholes/{foilhole_uuid}',
          'micrographs/{micrograph_uuid}',
        ].flatMap((p) => {
          const list = p.split('/')[0];
          return [`get /${list}`, `get /${p}`, `put /${p}`, `delete /${p}`];
        }),
        'post /acquisitions',
        'get /acquisitions/{acquisition_uuid}/grids',
        'post /acquisitions/{acquisition_uuid}/grids',
        'get /grids/{grid_uuid}/atlas',
        'post /grids/{grid_uuid}/atlas',
        'get /atlases/{atlas_uuid}/tiles',
        'post /atlases/{atlas_uuid}/tiles',
        'post /atlas-tiles/{tile_uuid}/gridsquares/{gridsquare_uuid}',
        'get /grids/{grid_uuid}/gridsquares',
        'post /grids/{grid_uuid}/gridsquares',
        'get /gridsquares/{gridsquare_uuid}/foilholes',
        'post /gridsquares/{gridsquare_uuid}/foilholes',
        'get /foilholes/{foilhole_uuid}/micrographs',
        'post /foilholes/{foilhole_uuid}/micrographs',
      ];
      assert.equal(expected.length, 44, "the original's 44 operations");
      for (const op of expected) {
        const [method, path] = op.split(' ');
        assert.ok(doc.json.paths[path]?.[method], `OpenAPI lists ${op}`);
      }
      assert.deepEqual((await api.call('GET', '/openapi.json')).json.paths, doc.json.paths);
      const unknown = await api.call('GET', '/no-such-route');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.status, 404);
      const notJson = await api.app.inject({
        method: 'POST',
        url: '/acquisitions',
        headers: { 'content-type': 'application/json' },
        payload: '{"uuid": ',
      });
      assert.equal(notJson.statusCode, 400);
      assert.equal(JSON.parse(notJson.body).status, 400);
    });
  });
}
