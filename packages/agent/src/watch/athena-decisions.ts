/**
 * What an instruction from the backend means at the Athena Decision Service: the areas to register (atlas → grid
 * squares → foil holes, parents first) and the decision records to post. Every mapping of instruction types to
 * decisions is here.
 *
 * - `athena.control.skip_gridsquares`: `include` `"false"` on each square.
 * - `athena.control.reorder_gridsquares`: `acquisitionOrder` on the atlas area (the squares, best first),
 *   `gridSquareSelection` on the atlas area marking each of them to collect, and `include` `"true"` on each of them:
 *   a square the backend skipped earlier and now wants collected has its skip withdrawn (the skip instruction names
 *   only the squares to skip, so the order is what says which are no longer skipped).
 * - `athena.control.reorder_foilholes`: `foilHoleSelection` on the square (the ordered holes selected, the skipped ones
 *   deselected) and `acquisitionOrder` on the square (the selected holes, best first).
 * - `athena.control.select_area` (an operator's skip or include): `include` `"true"`/`"false"` on the square, or on the
 *   hole when one is named.
 *
 * Area ids are EPU's natural ids (`areaIdFromEpu`); the atlas of an EPU session is the atlas id of its `Atlas.dm` (as EPU
 * knows it), or `ATLAS_AREA_ID` while the agent has not read the atlas. Decision ids
 * are derived from the instruction id, and the timestamp is the instruction's creation time, so applying an
 * instruction again (after a crash or a lost reply) posts the very same records.
 */
import { createHash } from 'node:crypto';
import { Value } from 'typebox/value';
import {
  acquisitionOrderDecision,
  areaIdFromEpu,
  foilHoleSelectionDecision,
  gridSquareSelectionDecision,
  includeDecision,
  type Area,
  type DecisionContext,
  type DecisionRecord,
} from '@smartem/athena';
import { INSTRUCTION_TYPES, type InstructionMessage, type InstructionPayload, type InstructionType } from '@smartem/common';

/** The atlas area id when the atlas's own id is not known; EPU's square and hole ids are far larger. */
export const ATLAS_AREA_ID = 0;

/** An instruction that cannot be turned into decisions (unknown type, payload not in its schema, ids out of range). */
export class InstructionPayloadError extends Error {
  override name = 'InstructionPayloadError';
}

export interface DecisionPlan {
  /** The grid the instruction is about (its EPU session is the Athena session). */
  gridUuid: string;
  /** Areas without `sessionId`, parents before children. */
  areas: Omit<Area, 'sessionId'>[];
  /** Decisions without `sessionId` (filled in once the session is known). */
  decisions: Omit<DecisionRecord, 'sessionId'>[];
}

function isInstructionType(type: string): type is InstructionType {
  return Object.hasOwn(INSTRUCTION_TYPES, type);
}

/** A name-based uuid (version 5 layout) of `name`: the same name always gives the same uuid. */
export function stableUuid(name: string): string {
  const b = createHash('sha1').update(name).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function areaId(naturalId: string, field: string): number {
  try {
    return areaIdFromEpu(naturalId);
  } catch (error) {
    throw new InstructionPayloadError(`${field}: ${(error as Error).message}`);
  }
}

/**
 * The areas and decisions of one instruction, square-level ones on the atlas area `atlasId`. Throws
 * `InstructionPayloadError` when it cannot be applied.
 */
export function planDecisions(
  message: Pick<InstructionMessage, 'instruction_id' | 'instruction_type' | 'payload' | 'created_at'>,
  decidedBy: string,
  atlasId: number = ATLAS_AREA_ID,
): DecisionPlan {
  const type = message.instruction_type;
  if (!isInstructionType(type)) throw new InstructionPayloadError(`unknown instruction type ${JSON.stringify(type)}`);
  const schema = INSTRUCTION_TYPES[type];
  if (!Value.Check(schema, message.payload)) {
    const first = [...Value.Errors(schema, message.payload)][0];
    throw new InstructionPayloadError(`${type} payload${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`);
  }
  // The session id is filled in later; a placeholder keeps the builders' checks and shapes.
  const ctx: DecisionContext = { sessionId: '', decidedBy, details: `smartem instruction ${message.instruction_id} (${type})` };
  const atlas: Omit<Area, 'sessionId'> = { id: atlasId, areaType: 'atlas', parentId: null };
  const areas: Omit<Area, 'sessionId'>[] = [atlas];
  const built: DecisionRecord[] = [];
  let gridUuid: string;

  if (type === 'athena.control.skip_gridsquares') {
    const p = message.payload as InstructionPayload<typeof type>;
    gridUuid = p.grid_uuid;
    p.gridsquares_to_skip.forEach((s, i) => {
      const id = areaId(s.gridsquare_id, `gridsquares_to_skip[${i}].gridsquare_id`);
      areas.push({ id, areaType: 'gridsquare', parentId: atlasId });
      built.push(includeDecision(ctx, id, false));
    });
  } else if (type === 'athena.control.reorder_gridsquares') {
    const p = message.payload as InstructionPayload<typeof type>;
    gridUuid = p.grid_uuid;
    const ids = p.gridsquare_order.map((s, i) => areaId(s.gridsquare_id, `gridsquare_order[${i}].gridsquare_id`));
    for (const id of ids) areas.push({ id, areaType: 'gridsquare', parentId: atlasId });
    if (ids.length > 0) {
      built.push(acquisitionOrderDecision(ctx, atlasId, ids));
      built.push(
        gridSquareSelectionDecision(
          ctx,
          atlasId,
          ids.map((id) => ({ areaId: id, include: true })),
        ),
      );
      for (const id of ids) built.push(includeDecision(ctx, id, true));
    }
  } else if (type === 'athena.control.select_area') {
    const p = message.payload as InstructionPayload<typeof type>;
    gridUuid = p.grid_uuid;
    const square = areaId(p.gridsquare_id, 'gridsquare_id');
    areas.push({ id: square, areaType: 'gridsquare', parentId: atlasId });
    if (p.foilhole_id === undefined) built.push(includeDecision(ctx, square, p.include));
    else {
      const hole = areaId(p.foilhole_id, 'foilhole_id');
      areas.push({ id: hole, areaType: 'foilhole', parentId: square });
      built.push(includeDecision(ctx, hole, p.include));
    }
  } else {
    const p = message.payload as InstructionPayload<'athena.control.reorder_foilholes'>;
    gridUuid = p.grid_uuid;
    const square = areaId(p.gridsquare_id, 'gridsquare_id');
    areas.push({ id: square, areaType: 'gridsquare', parentId: atlasId });
    const order = p.foilhole_order.map((h, i) => areaId(h.foilhole_id, `foilhole_order[${i}].foilhole_id`));
    const skipped = p.foilholes_to_skip.map((h, i) => areaId(h.foilhole_id, `foilholes_to_skip[${i}].foilhole_id`));
    for (const id of [...order, ...skipped]) areas.push({ id, areaType: 'foilhole', parentId: square });
    const verdicts = [...order.map((id) => ({ areaId: id, include: true })), ...skipped.map((id) => ({ areaId: id, include: false }))];
    if (verdicts.length > 0) built.push(foilHoleSelectionDecision(ctx, square, verdicts));
    // An order even when every hole is deselected (empty): EPU asks for one, and an answer spares it the wait.
    if (verdicts.length > 0) built.push(acquisitionOrderDecision(ctx, square, order));
  }

  const decisions = built.map(({ sessionId: _session, ...d }, i) => ({
    ...d,
    id: stableUuid(`${message.instruction_id}/${i}`),
    timestamp: message.created_at,
  }));
  return { gridUuid, areas: uniqueAreas(areas), decisions };
}

/** The first occurrence of each area id (a hole listed twice, a square in two lists). */
function uniqueAreas(areas: Omit<Area, 'sessionId'>[]): Omit<Area, 'sessionId'>[] {
  const byId = new Map<number, Omit<Area, 'sessionId'>>();
  for (const a of areas) if (!byId.has(a.id)) byId.set(a.id, a);
  return [...byId.values()];
}
