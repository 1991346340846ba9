import type { App } from '../app.ts';
import { ENTITIES } from '../entities.ts';
import { bodyToRow, type Row } from '../convert.ts';
import { createOne } from '../store/crud.ts';
import { problemRefs, ref, registerEntityRoutes, wire } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/acquisitions…` and `/acquisitions/{acquisition_uuid}/grids`. */
export async function acquisitionRoutes(app: App): Promise<void> {
  const def = ENTITIES.acquisition;
  registerEntityRoutes(app, def, 'acquisitions', 'acquisition_uuid');
  app.post('/acquisitions', {
    schema: { tags: ['acquisitions'], body: ref('AcquisitionCreate'), response: { 201: ref('AcquisitionResponse'), ...problemRefs(409, 422) } },
  }, async (req, reply) => {
    const stored = await createOne(app.store, def, bodyToRow(def.wire.fields, req.body as Row));
    return reply.status(201).send(wire(def, stored));
  });
  registerChildRoutes(app, { def, plural: 'acquisitions', param: 'acquisition_uuid' }, { def: ENTITIES.grid, segment: 'grids' });
}
