import { Compile } from 'typebox/compile';
import { PROCESSING_EVENTS, PROCESSING_RESULTS, type ProcessingEvent } from '@smartem/common';
import { PermanentMessageError } from '../../bus/errors.ts';
import { applyProcessingResult } from '../../services/processing.ts';
import type { EventHandler, HandlerFamily } from './types.ts';
import { requireString } from './payload.ts';

/**
 * Processing results from the bus, validated by the same schema as the HTTP body (`@smartem/common`
 * PROCESSING_RESULTS): stored on the micrograph, re-ranking announced with `decision.updated`. A result for a
 * micrograph that does not exist (yet) is retried, then dead-lettered; a malformed payload is dead-lettered at once.
 */
function handler(event: ProcessingEvent): EventHandler {
  const validator = Compile(PROCESSING_RESULTS[event].schema);
  return async (message, { db, log }) => {
    const micrographUuid = requireString(message, 'micrograph_uuid');
    if (!validator.Check(message)) {
      const problems = [...validator.Errors(message)].map((e) => `${fieldOf(e)} ${e.message}`);
      throw new PermanentMessageError(`${event}: ${problems.join('; ')}`);
    }
    const result = await applyProcessingResult({ db }, event, micrographUuid, message);
    if (result.outcome === 'not_found') throw new Error(`${event}: micrograph ${micrographUuid} not found`);
    log.info({ micrograph_uuid: micrographUuid, grid_uuid: result.grid_uuid, outcome: result.outcome }, `${event} stored`);
  };
}

/** The field a validation error is about: its path, or the missing property ("field total_motion"). */
function fieldOf(error: { instancePath: string; params: unknown }): string {
  const missing = (error.params as { requiredProperties?: string[] }).requiredProperties;
  const path = error.instancePath.replace(/^\//, '');
  return `field "${missing?.join('", "') ?? path}":`;
}

export const processingHandlers: HandlerFamily = Object.fromEntries(PROCESSING_EVENTS.map((e) => [e, handler(e)]));
