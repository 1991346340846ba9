import type { BusMessage } from '@smartem/backend';

/**
 * The original's message simulator, on today's event names: one message per command, valid or
 * (`legit: false`) deliberately malformed — misspelt keys, negative numbers — to exercise validation.
 */
export const COMMANDS = [
  'acquisition-created',
  'grid-created',
  'gridsquare-created',
  'foilhole-created',
  'micrograph-created',
  'motion-correction-complete',
  'ctf-complete',
  'particle-picking-complete',
  'particle-selection-complete',
  'rogue-message',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface MessageOptions {
  legit: boolean;
  /** Target entity: the micrograph for processing results, the entity itself for entity events. */
  uuid: string;
  /** Parent uuid for entity events. */
  parent?: string;
  /** rogue-message: leave event_type out instead of sending an unknown one. */
  eventTypeMissing?: boolean;
}

/** Processing commands and the HTTP route path that is equivalent to their event. */
export const PROCESSING_ROUTES: Partial<Record<Command, string>> = {
  'motion-correction-complete': 'motion_correction',
  'ctf-complete': 'ctf',
  'particle-picking-complete': 'particle_picking',
  'particle-selection-complete': 'particle_selection',
};

export function buildMessage(command: Command, o: MessageOptions): Record<string, unknown> {
  const legit = o.legit;
  switch (command) {
    case 'acquisition-created':
      return { event_type: 'acquisition.created', uuid: o.uuid, id: legit ? 'simulated-session' : 42 };
    case 'grid-created':
      return { event_type: 'grid.created', ...(legit ? { uuid: o.uuid } : { uid: o.uuid }), acquisition_uuid: o.parent ?? null };
    case 'gridsquare-created':
      return { event_type: 'gridsquare.created', uuid: legit ? o.uuid : '', grid_uuid: o.parent ?? null, gridsquare_id: '1' };
    case 'foilhole-created':
      return {
        event_type: 'foilhole.created',
        uuid: o.uuid,
        ...(legit ? { foilhole_id: '1' } : { foilhole_idd: '1' }),
        gridsquare_uuid: o.parent ?? null,
        gridsquare_id: '1',
      };
    case 'micrograph-created':
      return {
        event_type: 'micrograph.created',
        uuid: legit ? o.uuid : null,
        foilhole_uuid: o.parent ?? null,
        foilhole_id: '1',
        micrograph_id: '',
      };
    case 'motion-correction-complete':
      return legit
        ? { event_type: 'motion_correction.completed', micrograph_uuid: o.uuid, total_motion: 18.4, average_motion: 0.46 }
        : { event_type: 'motion_correction.completed', micrograph_uuid: o.uuid, total_motoin: 18.4, average_motion: -0.46 };
    case 'ctf-complete':
      return legit
        ? { event_type: 'ctf.completed', micrograph_uuid: o.uuid, ctf_max_resolution_estimate: 3.8 }
        : { event_type: 'ctf.completed', micrograph_uuid: o.uuid, ctf_max_resolution_estimate: -3.8 };
    case 'particle-picking-complete':
      return legit
        ? {
            event_type: 'particle_picking.completed',
            micrograph_uuid: o.uuid,
            number_of_particles_picked: 312,
            pick_distribution: { centre: 200, edge: 112 },
          }
        : { event_type: 'particle_picking.completed', micrograph_uuid: o.uuid, number_of_particles_picked: 'many', pick_distribution: [] };
    case 'particle-selection-complete':
      return legit
        ? {
            event_type: 'particle_selection.completed',
            micrograph_uuid: o.uuid,
            number_of_particles_selected: 160,
            number_of_particles_rejected: 152,
            selection_distribution: { kept: 160, rejected: 152 },
          }
        : {
            event_type: 'particle_selection.completed',
            micrograph_uuid: o.uuid,
            number_of_particles_selected: -1,
            number_of_particles_rejected: 152,
          };
    case 'rogue-message':
      return o.eventTypeMissing ? { foo: 'bar' } : { event_type: 'foo bar' };
  }
}

/** Bus messages need an event_type; a rogue one without it is still sent as-is (the worker dead-letters it). */
export function asBusMessage(m: Record<string, unknown>): BusMessage {
  return m as BusMessage;
}
