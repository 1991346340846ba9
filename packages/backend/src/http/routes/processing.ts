import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { applyProcessingResult, ProcessingPayloadError, type ProcessingEvent } from '../../decisions/live/processing.ts';
import { HttpError } from '../errors.ts';

/**
 * Processing results over HTTP, equivalent to the bus events (seed-spec §7.2 bodies without `micrograph_uuid`, which
 * is in the path): `POST /micrographs/{uuid}/motion_correction | ctf | particle_picking | particle_selection`.
 */
const nonNegative = (description: string) => Type.Optional(Type.Number({ minimum: 0, description }));
const count = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));
const dist = (description: string) => Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description }));

const motion = Type.Object({
  total_motion: nonNegative('Å'),
  average_motion: nonNegative('Å'),
  ctf_max_resolution_estimate: nonNegative('Å'),
});

const ROUTES: Array<{ path: string; event: ProcessingEvent; body: TSchema }> = [
  { path: 'motion_correction', event: 'motion_correction.completed', body: motion },
  { path: 'ctf', event: 'ctf.completed', body: motion },
  {
    path: 'particle_picking',
    event: 'particle_picking.completed',
    body: Type.Object({ number_of_particles_picked: count('particles picked'), pick_distribution: dist('picking distribution') }),
  },
  {
    path: 'particle_selection',
    event: 'particle_selection.completed',
    body: Type.Object({
      number_of_particles_selected: count('particles kept'),
      number_of_particles_rejected: count('particles rejected'),
      selection_distribution: dist('selection distribution'),
    }),
  },
];

const Result = Type.Object({
  micrograph_uuid: Type.String(),
  event_type: Type.String(),
  outcome: Type.Union([Type.Literal('updated'), Type.Literal('unchanged')]),
  grid_uuid: Type.Union([Type.String(), Type.Null()]),
});

export async function processingRoutes(app: FastifyInstance): Promise<void> {
  for (const route of ROUTES) {
    app.post(
      `/micrographs/:micrograph_uuid/${route.path}`,
      {
        schema: {
          tags: ['processing'],
          summary: `store a ${route.event} result and re-rank the grid`,
          params: Type.Object({ micrograph_uuid: Type.String() }),
          body: route.body,
          response: { 200: Result },
        },
      },
      async (req) => {
        const { micrograph_uuid } = req.params as { micrograph_uuid: string };
        let result;
        try {
          result = await applyProcessingResult(app.store.db, route.event, micrograph_uuid, req.body as Record<string, unknown>);
        } catch (err) {
          if (err instanceof ProcessingPayloadError) throw new HttpError(422, err.message);
          throw err;
        }
        if (result.outcome === 'not_found') throw new HttpError(404, `micrograph ${micrograph_uuid} not found`);
        if (result.outcome === 'updated') app.store.onCommit?.();
        return { micrograph_uuid, event_type: route.event, outcome: result.outcome, grid_uuid: result.grid_uuid };
      },
    );
  }
}
