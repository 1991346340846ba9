/**
 * Processing results in (one validated `ProcessingResult` per event, from the HTTP route or the bus): stored on the
 * micrograph's own columns with its status and, when anything changed, a `decision.updated` event for the grid in the
 * same transaction. The same result twice changes nothing and emits nothing (idempotent under at-least-once delivery).
 */
import {
  KINDS,
  MICROGRAPH_STATUSES,
  type FieldSpec,
  PROCESSING_RESULTS,
  type MicrographStatus,
  type ProcessingEvent,
  type ProcessingResult,
} from '@smartem/common';
import { updateMicrographResult, type MicrographRow } from '../repositories/processing-results.ts';
import type { Store } from './store.ts';
import { InvalidFieldError } from '../errors.ts';

const STATUS: Record<ProcessingEvent, MicrographStatus> = {
  'motion_correction.completed': 'motion correction completed',
  'ctf.completed': 'ctf completed',
  'particle_picking.completed': 'particle picking completed',
  'particle_selection.completed': 'particle selection completed',
};

/** The micrograph columns a result sets: the event's fields it carries (distributions stored as JSON text). */
function processingColumns(event: ProcessingEvent, result: ProcessingResult): Partial<MicrographRow> {
  const columns: Record<string, unknown> = {};
  for (const field of Object.keys(PROCESSING_RESULTS[event].schema.properties)) {
    const value = (result as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const stored = typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
    const maxLength = (KINDS.micrograph.fields as Record<string, FieldSpec>)[field]?.maxLength;
    if (typeof stored === 'string' && maxLength !== undefined && stored.length > maxLength) {
      throw new InvalidFieldError(field, `must be at most ${maxLength} characters as JSON (the column's length)`);
    }
    columns[field] = stored;
  }
  return columns;
}

export type ProcessingOutcome = { outcome: 'updated' | 'unchanged'; grid_uuid: string | null } | { outcome: 'not_found' };

/** Stores one (already validated) processing result for `micrographUuid`. */
export async function applyProcessingResult(
  store: Store,
  event: ProcessingEvent,
  micrographUuid: string,
  result: ProcessingResult,
): Promise<ProcessingOutcome> {
  const columns = processingColumns(event, result);
  const stored = await updateMicrographResult(store.db, micrographUuid, ({ row, gridsquare_uuid, grid_uuid }) => {
    // Status only moves forward (results may arrive out of order).
    const order = (s: string | null) => MICROGRAPH_STATUSES.indexOf(s as MicrographStatus);
    const status = order(STATUS[event]) > order(row.status) ? STATUS[event] : row.status;
    const current = row as Record<string, unknown>;
    const changed = Object.entries(columns).some(([k, v]) => current[k] !== v) || status !== row.status;
    if (!changed) return undefined;
    return {
      columns: { ...columns, status },
      event: {
        event_type: 'decision.updated',
        grid_uuid,
        gridsquare_uuid,
        foilhole_uuid: row.foilhole_uuid,
        micrograph_uuid: micrographUuid,
        trigger: event,
      },
    };
  });
  if (!stored.found) return { outcome: 'not_found' };
  if (stored.changed) store.onCommit?.();
  return { outcome: stored.changed ? 'updated' : 'unchanged', grid_uuid: stored.grid_uuid };
}
