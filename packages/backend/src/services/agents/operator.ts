/**
 * An operator's manual skip or include of a grid square or foil hole, written as an `athena.control.select_area`
 * instruction for every active agent session of the area's acquisition. The operator made the choice, so it is not
 * held for approval in confirm mode; a later choice for the same area supersedes one the agent has not finished.
 */
import type { InstructionPayload, OperatorInstruction } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { findRow } from '../../repositories/entities.ts';
import { activeSessionsForGrid, type InstructionRow } from '../../repositories/instructions.ts';
import { InstructionError, issueInstructions } from './instructions.ts';
import { PRIORITY } from './recommendations.ts';

const TYPE = 'athena.control.select_area';

/** The instructions written (one per session); 404 for an unknown area, 409 when no agent serves its acquisition. */
export async function issueOperatorInstruction(db: Db, body: OperatorInstruction): Promise<InstructionRow[]> {
  let hole: { uuid: string; foilhole_id: string } | undefined;
  let squareUuid = body.gridsquare_uuid;
  if (body.foilhole_uuid !== undefined) {
    const row = await findRow(db, 'foilhole', body.foilhole_uuid);
    if (!row) throw new InstructionError(404, `Foil hole ${body.foilhole_uuid} not found (foilhole_uuid)`);
    hole = { uuid: String(row.uuid), foilhole_id: String(row.foilhole_id) };
    squareUuid = String(row.gridsquare_uuid);
  }
  const square = await findRow(db, 'gridsquare', squareUuid!);
  if (!square) throw new InstructionError(404, `Grid square ${squareUuid} not found (gridsquare_uuid)`);
  const gridUuid = String(square.grid_uuid);
  const sessions = await activeSessionsForGrid(db, gridUuid);
  if (sessions.length === 0) throw new InstructionError(409, `no active agent session serves the acquisition of grid ${gridUuid}`);
  const include = body.action === 'include';
  const payload: InstructionPayload<typeof TYPE> = {
    grid_uuid: gridUuid,
    gridsquare_uuid: String(square.uuid),
    gridsquare_id: String(square.gridsquare_id),
    ...(hole ? { foilhole_uuid: hole.uuid, foilhole_id: hole.foilhole_id } : {}),
    include,
    reason: body.reason ?? `operator: ${body.action}`,
  };
  return issueInstructions(
    db,
    sessions,
    [{ type: TYPE, topic: `operator:${hole?.uuid ?? square.uuid}`, payload, priority: PRIORITY[TYPE] }],
    {
      approved: true,
    },
  );
}
