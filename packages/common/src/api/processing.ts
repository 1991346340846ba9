/**
 * Processing results: one schema per event, the body of `POST /micrographs/{uuid}/<route>` and the payload of the bus
 * event `<event>` (which also carries `event_type` and `micrograph_uuid`). The API validates the HTTP body with it and
 * the worker the bus message, so both accept and refuse the same results.
 *
 * A field's absence is "not measured": the result only sets the fields it carries. The one field each event is about
 * (motion for motion correction, the resolution estimate for CTF, the counts for picking and selection) is required.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { INT4_MAX } from './limits.ts';

const nonNegative = (description: string) => Type.Number({ minimum: 0, description });
/** A count, stored in an `integer` column. */
const count = (description: string) => Type.Integer({ minimum: 0, maximum: INT4_MAX, description });
const distribution = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const MotionCorrectionResultSchema = Type.Object({
  total_motion: nonNegative('Å'),
  average_motion: Type.Optional(nonNegative('Å')),
  ctf_max_resolution_estimate: Type.Optional(nonNegative('Å')),
});

export const CtfResultSchema = Type.Object({
  total_motion: Type.Optional(nonNegative('Å')),
  average_motion: Type.Optional(nonNegative('Å')),
  ctf_max_resolution_estimate: nonNegative('Å'),
});

export const ParticlePickingResultSchema = Type.Object({
  number_of_particles_picked: count('particles picked'),
  pick_distribution: Type.Optional(distribution('picking distribution')),
});

export const ParticleSelectionResultSchema = Type.Object({
  number_of_particles_selected: count('particles kept'),
  number_of_particles_rejected: count('particles rejected'),
  selection_distribution: Type.Optional(distribution('selection distribution')),
});

/** Every processing event: its bus `event_type`, the HTTP route segment, and the result schema. */
export const PROCESSING_RESULTS = {
  'motion_correction.completed': { route: 'motion_correction', schema: MotionCorrectionResultSchema },
  'ctf.completed': { route: 'ctf', schema: CtfResultSchema },
  'particle_picking.completed': { route: 'particle_picking', schema: ParticlePickingResultSchema },
  'particle_selection.completed': { route: 'particle_selection', schema: ParticleSelectionResultSchema },
} as const satisfies Record<string, { route: string; schema: TSchema }>;

export type ProcessingEvent = keyof typeof PROCESSING_RESULTS;
export const PROCESSING_EVENTS = Object.keys(PROCESSING_RESULTS) as ProcessingEvent[];

export type MotionCorrectionResult = Static<typeof MotionCorrectionResultSchema>;
export type CtfResult = Static<typeof CtfResultSchema>;
export type ParticlePickingResult = Static<typeof ParticlePickingResultSchema>;
export type ParticleSelectionResult = Static<typeof ParticleSelectionResultSchema>;
/** Any processing result (the union of the four bodies). */
export type ProcessingResult = MotionCorrectionResult | CtfResult | ParticlePickingResult | ParticleSelectionResult;
