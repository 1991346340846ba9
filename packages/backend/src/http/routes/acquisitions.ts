import { createEntity } from '../../services/ingest.ts';
import type { App } from '../app.ts';
import { problemRefs, ref, refOf, registerEntityRoutes } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/acquisitions…` and `/acquisitions/{acquisition_uuid}/grids`. */
export async function acquisitionRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'acquisition', 'acquisitions', 'acquisition_uuid');
  app.post(
    '/acquisitions',
    {
      schema: {
        tags: ['acquisitions'],
        summary: 'create an Acquisition',
        description:
          'Creates an acquisition (status planned when none is sent) and publishes `acquisition.created`; 409 for a duplicate uuid.',
        body: refOf('AcquisitionCreate'),
        response: { 201: ref('AcquisitionResponse'), ...problemRefs(409, 422) },
      },
    },
    async (req, reply) => reply.status(201).send(await createEntity(app.store, 'acquisition', req.body)),
  );
  registerChildRoutes(app, { kind: 'acquisition', plural: 'acquisitions', param: 'acquisition_uuid' }, { kind: 'grid', segment: 'grids' });
}
