import type { App } from '../app.ts';
import { Type } from 'typebox';
import { ENTITY_WIRES, objectSchema } from '@smartem/common';
import { ENTITIES } from '../entities.ts';
import { bodyToRow, type Row } from '../convert.ts';
import { createOne, exists, list } from '../store/crud.ts';
import { createPosition } from '../store/positions.ts';
import { notFound } from '../errors.ts';
import { problemRefs, ref, registerEntityRoutes, uuidParam, wire } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** The original's AtlasCreate: an atlas with optional `tiles` (whose `atlas_uuid` is the new atlas). */
const atlasCreateWithTiles = Type.Unsafe({
  ...(ENTITY_WIRES.atlas.create as object),
  $id: undefined,
  properties: {
    ...((ENTITY_WIRES.atlas.create as { properties: object }).properties),
    tiles: Type.Array(objectSchema(undefined, ENTITY_WIRES.atlastile.fields, ['uuid'])),
  },
});

/** `/atlases…`, `/grids/{grid_uuid}/atlas`, `/atlases/{atlas_uuid}/tiles`, `/atlas-tiles…` and tile↔square links. */
export async function atlasRoutes(app: App): Promise<void> {
  const atlas = ENTITIES.atlas;
  const tile = ENTITIES.atlastile;
  registerEntityRoutes(app, atlas, 'atlases', 'atlas_uuid');
  registerEntityRoutes(app, tile, 'atlas-tiles', 'tile_uuid');
  registerChildRoutes(app, { def: atlas, plural: 'atlases', param: 'atlas_uuid' }, { def: tile, segment: 'tiles' });

  app.get('/grids/:grid_uuid/atlas', {
    schema: { tags: ['atlases'], params: uuidParam('grid_uuid'), response: { 200: ref('AtlasResponse'), ...problemRefs(404) } },
  }, async (req) => {
    const { grid_uuid } = req.params as { grid_uuid: string };
    const [row] = await list(app.store.db, atlas, { where: { grid_uuid }, limit: 1 });
    if (!row) throw notFound('Atlas not found for this grid');
    return { ...wire(atlas, row), tiles: [] };
  });

  app.post('/grids/:grid_uuid/atlas', {
    schema: { tags: ['atlases'], params: uuidParam('grid_uuid'), body: atlasCreateWithTiles, response: { 201: ref('AtlasResponse'), ...problemRefs(404, 409, 422) } },
  }, async (req, reply) => {
    const { grid_uuid } = req.params as { grid_uuid: string };
    if (!(await exists(app.store.db, ENTITIES.grid, grid_uuid))) throw notFound('Grid not found');
    const body = req.body as Row & { tiles?: Row[] };
    const row: Row = { ...bodyToRow(atlas.wire.fields, body), grid_uuid };
    const tiles = (body.tiles ?? []).map((t) => ({ def: tile, row: { ...bodyToRow(tile.wire.fields, t), atlas_uuid: row.uuid } }));
    const stored = await createOne(app.store, atlas, row, tiles);
    return reply.status(201).send({ ...wire(atlas, stored), tiles: [] });
  });

  app.post('/atlas-tiles/:tile_uuid/gridsquares/:gridsquare_uuid', {
    schema: {
      tags: ['atlas-tiles'],
      params: Type.Object({ tile_uuid: Type.String({ minLength: 1 }), gridsquare_uuid: Type.String({ minLength: 1 }) }),
      body: ref('GridSquarePositionRequest'),
      response: { 201: ref('AtlasTileGridSquarePositionResponse'), ...problemRefs(404, 409, 422) },
    },
  }, async (req, reply) => {
    const { tile_uuid, gridsquare_uuid } = req.params as { tile_uuid: string; gridsquare_uuid: string };
    const body = req.body as Row;
    const stored = await createPosition(app.store, {
      atlastile_uuid: tile_uuid, gridsquare_uuid,
      center_x: body.center_x, center_y: body.center_y, size_width: body.size_width, size_height: body.size_height,
    });
    return reply.status(201).send(stored);
  });
}
