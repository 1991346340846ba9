import { eq } from 'drizzle-orm';
import { MICROGRAPH_STATUSES, type MicrographStatus } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { foilhole, gridsquare, micrograph } from '../../db/schema.ts';
import { insertOutbox } from '../../outbox/outbox.ts';

/**
 * Processing results in (seed-spec §7.2 payloads): validated, stored on the micrograph's own columns with its status,
 * and, when anything changed, a `decision.updated` event for the grid in the same transaction. The same result
 * twice changes nothing and emits nothing (idempotent under at-least-once delivery).
 */

export const PROCESSING_EVENTS = ['motion_correction.completed', 'ctf.completed', 'particle_picking.completed', 'particle_selection.completed'] as const;
export type ProcessingEvent = (typeof PROCESSING_EVENTS)[number];

export function isProcessingEvent(type: string): type is ProcessingEvent {
  return (PROCESSING_EVENTS as readonly string[]).includes(type);
}

/** Invalid payload: the message names the field. */
export class ProcessingPayloadError extends Error {
  override name = 'ProcessingPayloadError';
}

type Columns = Partial<{
  total_motion: number;
  average_motion: number;
  ctf_max_resolution_estimate: number;
  number_of_particles_picked: number;
  pick_distribution: string;
  number_of_particles_selected: number;
  number_of_particles_rejected: number;
  selection_distribution: string;
}>;

const STATUS: Record<ProcessingEvent, MicrographStatus> = {
  'motion_correction.completed': 'motion correction completed',
  'ctf.completed': 'ctf completed',
  'particle_picking.completed': 'particle picking completed',
  'particle_selection.completed': 'particle selection completed',
};

function nonNegative(body: Record<string, unknown>, event: string, field: string, required: boolean, integer = false): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw new ProcessingPayloadError(`${event}: field "${field}" is required`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new ProcessingPayloadError(`${event}: field "${field}" must be a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function distribution(body: Record<string, unknown>, event: string, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProcessingPayloadError(`${event}: field "${field}" must be an object`);
  return JSON.stringify(v);
}

/** The micrograph columns a processing result sets (only the fields it carries). */
export function processingColumns(event: ProcessingEvent, body: Record<string, unknown>): Columns {
  const cols: Columns = {};
  const set = <K extends keyof Columns>(k: K, v: Columns[K] | undefined): void => {
    if (v !== undefined) cols[k] = v;
  };
  switch (event) {
    case 'motion_correction.completed':
    case 'ctf.completed': {
      const ctfEvent = event === 'ctf.completed';
      set('total_motion', nonNegative(body, event, 'total_motion', !ctfEvent));
      set('average_motion', nonNegative(body, event, 'average_motion', false));
      set('ctf_max_resolution_estimate', nonNegative(body, event, 'ctf_max_resolution_estimate', ctfEvent));
      break;
    }
    case 'particle_picking.completed':
      set('number_of_particles_picked', nonNegative(body, event, 'number_of_particles_picked', true, true));
      set('pick_distribution', distribution(body, event, 'pick_distribution'));
      break;
    case 'particle_selection.completed':
      set('number_of_particles_selected', nonNegative(body, event, 'number_of_particles_selected', true, true));
      set('number_of_particles_rejected', nonNegative(body, event, 'number_of_particles_rejected', true, true));
      set('selection_distribution', distribution(body, event, 'selection_distribution'));
      break;
  }
  return cols;
}

export type ProcessingOutcome = { outcome: 'updated' | 'unchanged'; grid_uuid: string | null } | { outcome: 'not_found' };

/** Stores one processing result for `micrographUuid` (throws ProcessingPayloadError for a bad payload). */
export async function applyProcessingResult(db: Db, event: ProcessingEvent, micrographUuid: string, body: Record<string, unknown>): Promise<ProcessingOutcome> {
  const cols = processingColumns(event, body);
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ m: micrograph, gridsquare_uuid: foilhole.gridsquare_uuid, grid_uuid: gridsquare.grid_uuid })
      .from(micrograph)
      .leftJoin(foilhole, eq(foilhole.uuid, micrograph.foilhole_uuid))
      .leftJoin(gridsquare, eq(gridsquare.uuid, foilhole.gridsquare_uuid))
      .where(eq(micrograph.uuid, micrographUuid))
      .for('update', { of: micrograph });
    const row = rows[0];
    if (!row) return { outcome: 'not_found' as const };
    const current = row.m as Record<string, unknown>;
    // Status only moves forward (results may arrive out of order).
    const order = (s: unknown): number => MICROGRAPH_STATUSES.indexOf(s as MicrographStatus);
    const status = order(STATUS[event]) > order(current.status) ? STATUS[event] : (current.status as MicrographStatus | null);
    const changed = Object.entries(cols).some(([k, v]) => current[k] !== v) || status !== current.status;
    if (!changed) return { outcome: 'unchanged' as const, grid_uuid: row.grid_uuid };
    await tx.update(micrograph).set({ ...cols, status }).where(eq(micrograph.uuid, micrographUuid));
    await insertOutbox(tx, [
      {
        event_type: 'decision.updated',
        grid_uuid: row.grid_uuid,
        gridsquare_uuid: row.gridsquare_uuid,
        foilhole_uuid: row.m.foilhole_uuid,
        micrograph_uuid: micrographUuid,
        trigger: event,
      },
    ]);
    return { outcome: 'updated' as const, grid_uuid: row.grid_uuid };
  });
}

