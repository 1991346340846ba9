import type { App } from '../app.ts';
import { Type } from 'typebox';
import { ENTITY_WIRES, objectSchema } from '@smartem/common';
import { createGridAtlas, createPosition, gridAtlas } from '../../services/ingest.ts';
import type { Row } from '../../services/convert.ts';
import { problemRefs, ref, refOf, registerEntityRoutes, uuidParam } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** The original's AtlasCreate: an atlas with optional `tiles` (whose `atlas_uuid` is the new atlas). */
const atlasCreateWithTiles = Type.Unsafe<Row & { tiles?: Row[] }>({
  ...(ENTITY_WIRES.atlas.create as object),
  $id: undefined,
  properties: {
    ...(ENTITY_WIRES.atlas.create as { properties: object }).properties,
    tiles: Type.Array(objectSchema(undefined, ENTITY_WIRES.atlastile.fields, ['uuid'])),
  },
});

/** `/atlases…`, `/grids/{grid_uuid}/atlas`, `/atlases/{atlas_uuid}/tiles`, `/atlas-tiles…` and tile↔square links. */
export async function atlasRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'atlas', 'atlases', 'atlas_uuid');
  registerEntityRoutes(app, 'atlastile', 'atlas-tiles', 'tile_uuid', 'atlases');
  registerChildRoutes(app, { kind: 'atlas', plural: 'atlases', param: 'atlas_uuid' }, { kind: 'atlastile', segment: 'tiles' });

  app.get(
    '/grids/:grid_uuid/atlas',
    {
      schema: {
        tags: ['atlases'],
        summary: "read a grid's Atlas",
        description: 'The atlas of the grid (with an empty `tiles` list, as the original); 404 when the grid has none.',
        params: uuidParam('grid_uuid'),
        response: { 200: ref('AtlasResponse'), ...problemRefs(404) },
      },
    },
    async (req) => gridAtlas(app.store, req.params.grid_uuid),
  );

  app.post(
    '/grids/:grid_uuid/atlas',
    {
      schema: {
        tags: ['atlases'],
        summary: "create a grid's Atlas with its tiles",
        description:
          'Creates the atlas and its `tiles` in one transaction, publishing `atlas.created` and one `atlas_tile.created` per tile; 404 when the grid does not exist.',
        params: uuidParam('grid_uuid'),
        body: atlasCreateWithTiles,
        response: { 201: ref('AtlasResponse'), ...problemRefs(404, 409, 422) },
      },
    },
    async (req, reply) => reply.status(201).send(await createGridAtlas(app.store, req.params.grid_uuid, req.body)),
  );

  app.post(
    '/atlas-tiles/:tile_uuid/gridsquares/:gridsquare_uuid',
    {
      schema: {
        tags: ['atlases'],
        summary: 'place a GridSquare on an AtlasTile',
        description:
          "Records the square's position and size on the tile (no event); 404 when either does not exist, 409 when the pair is already linked.",
        params: uuidParam('tile_uuid', 'gridsquare_uuid'),
        body: refOf('GridSquarePositionRequest'),
        response: { 201: ref('AtlasTileGridSquarePositionResponse'), ...problemRefs(404, 409, 422) },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createPosition(app.store, req.params.tile_uuid, req.params.gridsquare_uuid, req.body)),
  );
}
