/**
 * Every `decisionValue` format SmartEM reads or writes, in one place. The Decision Service stores a decision's value
 * as one string; structured values are JSON text inside it.
 *
 * - `include` (on a grid square or foil hole): `"true"` collect / `"false"` skip. Published.
 * - `foilHoleSelection` (on the parent grid square): JSON text of `[{"areaId": <hole>, "result": "true"|"false"}, …]`.
 *   Published as a sample response.
 * - `gridSquareSelection` (on the atlas area): the same shape with grid square ids. Inferred from the foil hole form;
 *   not confirmed by ThermoFisher.
 * - `acquisitionOrder` (on the parent: the atlas for squares, a square for holes): JSON text of the child area ids in
 *   the order to acquire them, first first, e.g. `[19513700,19513702]`. The service's format for this type is not
 *   public: this is our choice and must be confirmed against a real installation before EPU is expected to obey it.
 *
 * Booleans are written lower-case; reading accepts any case (.NET writes `True`/`False`).
 */
import { randomUUID } from 'node:crypto';
import type { DecisionRecord, DecisionType, PluginType } from './schemas.ts';

export const INT32_MAX = 2_147_483_647;

/** A value that cannot be an Athena area id, or a `decisionValue` that is not in the format its type uses. */
export class DecisionValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionValueError';
  }
}

/**
 * The Athena area id for an EPU natural id (`"19493759"` from `GridSquare_19493759`): its decimal value, which must
 * fit a positive int32. Anything else (signs, decimals, letters, too large) is an error naming the value.
 */
export function areaIdFromEpu(naturalId: string | number): number {
  const text = typeof naturalId === 'number' ? String(naturalId) : naturalId.trim();
  if (!/^\d+$/.test(text)) throw new DecisionValueError(`EPU id ${JSON.stringify(naturalId)} is not a whole non-negative number`);
  const value = Number(text);
  if (value > INT32_MAX) {
    throw new DecisionValueError(`EPU id ${text} does not fit an Athena area id (int32, at most ${INT32_MAX})`);
  }
  return value;
}

/** Checks an area id already in Athena's space. */
export function checkAreaId(areaId: number, what = 'area id'): number {
  if (!Number.isInteger(areaId) || areaId < 0 || areaId > INT32_MAX) {
    throw new DecisionValueError(`${what} ${areaId} is not an int32 area id (0…${INT32_MAX})`);
  }
  return areaId;
}

function encodeBoolean(value: boolean): string {
  return value ? 'true' : 'false';
}

function decodeBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw new DecisionValueError(`${what} is ${JSON.stringify(value)}, expected "true" or "false"`);
}

function parseJson(value: string | null | undefined, type: DecisionType): unknown {
  if (typeof value !== 'string') throw new DecisionValueError(`${type} decision has no value`);
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new DecisionValueError(`${type} decision value is not JSON: ${(err as Error).message}`);
  }
}

export function encodeInclude(include: boolean): string {
  return encodeBoolean(include);
}

export function decodeInclude(value: string | null | undefined): boolean {
  return decodeBoolean(value, 'include decision value');
}

/** One child's verdict inside a selection decision. */
export interface AreaVerdict {
  areaId: number;
  include: boolean;
}

/** `foilHoleSelection` / `gridSquareSelection` value: `[{"areaId":n,"result":"true"|"false"},…]`. */
export function encodeSelection(verdicts: readonly AreaVerdict[]): string {
  return JSON.stringify(verdicts.map((v) => ({ areaId: checkAreaId(v.areaId), result: encodeBoolean(v.include) })));
}

export function decodeSelection(value: string | null | undefined, type: DecisionType = 'foilHoleSelection'): AreaVerdict[] {
  const parsed = parseJson(value, type);
  if (!Array.isArray(parsed)) throw new DecisionValueError(`${type} decision value is not a JSON array`);
  return parsed.map((item, i) => {
    if (!item || typeof item !== 'object') throw new DecisionValueError(`${type} value [${i}] is not an object`);
    const { areaId, result } = item as { areaId?: unknown; result?: unknown };
    if (typeof areaId !== 'number') throw new DecisionValueError(`${type} value [${i}].areaId is not a number`);
    return { areaId: checkAreaId(areaId, `${type} value [${i}].areaId`), include: decodeBoolean(result, `${type} value [${i}].result`) };
  });
}

/** `acquisitionOrder` value (our format, see above): JSON array of child area ids, first to acquire first. */
export function encodeAcquisitionOrder(areaIds: readonly number[]): string {
  const seen = new Set<number>();
  for (const id of areaIds) {
    checkAreaId(id);
    if (seen.has(id)) throw new DecisionValueError(`acquisitionOrder lists area ${id} twice`);
    seen.add(id);
  }
  return JSON.stringify(areaIds);
}

export function decodeAcquisitionOrder(value: string | null | undefined): number[] {
  const parsed = parseJson(value, 'acquisitionOrder');
  if (!Array.isArray(parsed)) throw new DecisionValueError('acquisitionOrder decision value is not a JSON array');
  return parsed.map((id, i) => {
    if (typeof id !== 'number') throw new DecisionValueError(`acquisitionOrder value [${i}] is not a number`);
    return checkAreaId(id, `acquisitionOrder value [${i}]`);
  });
}

/** Who decides and why, shared by the decisions of one batch. `pluginType` defaults to `custom` (ours, not EPU's). */
export interface DecisionContext {
  sessionId: string;
  decidedBy?: string;
  details?: string;
  pluginType?: PluginType;
}

/** A complete decision record with a fresh id and timestamp, so that re-sending it after a retry is recognisable. */
function decision(ctx: DecisionContext, areaId: number, decisionType: DecisionType, decisionValue: string): DecisionRecord {
  return {
    id: randomUUID(),
    sessionId: ctx.sessionId,
    areaId: checkAreaId(areaId),
    decisionType,
    pluginType: ctx.pluginType ?? 'custom',
    decisionValue,
    ...(ctx.decidedBy !== undefined ? { decidedBy: ctx.decidedBy } : {}),
    ...(ctx.details !== undefined ? { details: ctx.details } : {}),
    timestamp: new Date().toISOString(),
  };
}

export function includeDecision(ctx: DecisionContext, areaId: number, include: boolean): DecisionRecord {
  return decision(ctx, areaId, 'include', encodeInclude(include));
}

export function foilHoleSelectionDecision(ctx: DecisionContext, gridSquareAreaId: number, holes: readonly AreaVerdict[]): DecisionRecord {
  return decision(ctx, gridSquareAreaId, 'foilHoleSelection', encodeSelection(holes));
}

export function gridSquareSelectionDecision(ctx: DecisionContext, atlasAreaId: number, squares: readonly AreaVerdict[]): DecisionRecord {
  return decision(ctx, atlasAreaId, 'gridSquareSelection', encodeSelection(squares));
}

export function acquisitionOrderDecision(ctx: DecisionContext, parentAreaId: number, orderedChildIds: readonly number[]): DecisionRecord {
  return decision(ctx, parentAreaId, 'acquisitionOrder', encodeAcquisitionOrder(orderedChildIds));
}

/** A decision's value, decoded by type; types whose format is unknown come back as the raw string. */
export type DecodedDecision =
  | { decisionType: 'include'; include: boolean }
  | { decisionType: 'foilHoleSelection' | 'gridSquareSelection'; verdicts: AreaVerdict[] }
  | { decisionType: 'acquisitionOrder'; order: number[] }
  | {
      decisionType: Exclude<DecisionType, 'include' | 'foilHoleSelection' | 'gridSquareSelection' | 'acquisitionOrder'>;
      value: string | null;
    };

export function decodeDecision(record: Pick<DecisionRecord, 'decisionType' | 'decisionValue'>): DecodedDecision {
  const value = record.decisionValue;
  switch (record.decisionType) {
    case 'include':
      return { decisionType: 'include', include: decodeInclude(value) };
    case 'foilHoleSelection':
    case 'gridSquareSelection':
      return { decisionType: record.decisionType, verdicts: decodeSelection(value, record.decisionType) };
    case 'acquisitionOrder':
      return { decisionType: 'acquisitionOrder', order: decodeAcquisitionOrder(value) };
    default:
      return { decisionType: record.decisionType, value: value ?? null };
  }
}
