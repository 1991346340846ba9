import { PermanentMessageError } from '../../bus/errors.ts';
import { applyProcessingResult, ProcessingPayloadError, PROCESSING_EVENTS, type ProcessingEvent } from '../../decisions/live/processing.ts';
import type { EventHandler, HandlerFamily } from './types.ts';
import { requireString } from './payload.ts';

/**
 * Processing results from the bus (seed-spec §7.2): stored on the micrograph, re-ranking announced with
 * `decision.updated`. A result for a micrograph that does not exist (yet) is retried, then dead-lettered; a
 * malformed payload is dead-lettered at once. `decision.updated` itself is for other consumers: acknowledged here.
 */
function handler(event: ProcessingEvent): EventHandler {
  return async (message, { db, log }) => {
    const micrographUuid = requireString(message, 'micrograph_uuid');
    let result;
    try {
      result = await applyProcessingResult(db, event, micrographUuid, message);
    } catch (err) {
      if (err instanceof ProcessingPayloadError) throw new PermanentMessageError(err.message);
      throw err;
    }
    if (result.outcome === 'not_found') throw new Error(`${event}: micrograph ${micrographUuid} not found`);
    log.info({ micrograph_uuid: micrographUuid, grid_uuid: result.grid_uuid, outcome: result.outcome }, `${event} stored`);
  };
}

export const processingHandlers: HandlerFamily = {
  ...Object.fromEntries(PROCESSING_EVENTS.map((e) => [e, handler(e)])),
  'decision.updated': async (message, { log }) => {
    log.debug({ grid_uuid: message.grid_uuid }, 'decision.updated');
  },
};
