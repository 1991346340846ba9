import { Type } from 'typebox';
import { PROCESSING_EVENTS, PROCESSING_RESULTS } from '@smartem/common';
import { applyProcessingResult } from '../../services/processing.ts';
import type { App } from '../app.ts';
import { uuidParam } from './common.ts';
import { HttpError } from '../errors.ts';

/**
 * Processing results over HTTP, equivalent to the bus events (the same bodies without `micrograph_uuid`, which is in
 * the path): `POST /micrographs/{uuid}/motion_correction | ctf | particle_picking | particle_selection`.
 */
const Result = Type.Object({
  micrograph_uuid: Type.String(),
  event_type: Type.String(),
  outcome: Type.Union([Type.Literal('updated'), Type.Literal('unchanged')]),
  grid_uuid: Type.Union([Type.String(), Type.Null()]),
});

export async function processingRoutes(app: App): Promise<void> {
  for (const event of PROCESSING_EVENTS) {
    const { route, schema } = PROCESSING_RESULTS[event];
    app.post(
      `/micrographs/:micrograph_uuid/${route}`,
      {
        schema: {
          tags: ['processing'],
          summary: `store a ${event} result and re-rank the grid`,
          description: `Stores the result on the micrograph (status moves forward only) and, when anything changed, publishes \`decision.updated\` for its grid; the same result again is \`unchanged\`. The body is the bus event \`${event}\` without \`micrograph_uuid\`.`,
          params: uuidParam('micrograph_uuid'),
          body: schema,
          response: { 200: Result },
        },
      },
      async (req) => {
        const { micrograph_uuid } = req.params;
        const result = await applyProcessingResult(app.store, event, micrograph_uuid, req.body);
        if (result.outcome === 'not_found') throw new HttpError(404, `micrograph ${micrograph_uuid} not found`);
        return { micrograph_uuid, event_type: event, outcome: result.outcome, grid_uuid: result.grid_uuid };
      },
    );
  }
}
