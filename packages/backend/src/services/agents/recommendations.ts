/**
 * SmartEM's recommendations for a grid, as instructions for the agents serving its acquisition: which squares to skip
 * (worth less than half the best square's rate of good holes), the order of the squares worth collecting, and for the
 * next few of them (and the square being collected) which holes to collect in which order. Written only when a
 * recommendation changed for a session — the same squares or holes in the same order write nothing — so every
 * processing result may call this.
 */
import {
  createAuthority,
  rankHoles,
  rankSquares,
  type DecisionGrid,
  type HoleSuggestion,
  type QualityConfig,
  type SquareSuggestion,
} from '@smartem/decisions';
import type { InstructionType } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { activeSessionsForGrid, latestOnTopics, type InstructionRow } from '../../repositories/instructions.ts';
import { loadLiveGrid, resolveAuthority, storedAuthority } from '../decisions/suggestions.ts';
import { issueInstructions, type NewInstruction } from './instructions.ts';

/** Squares ahead in the recommended order whose holes are planned too. */
export const SQUARES_WITH_HOLE_PLANS = 3;

/** Priorities of instruction types; an operator's own choice comes first. */
export const PRIORITY: Record<InstructionType, number> = {
  'athena.control.select_area': 20,
  'athena.control.skip_gridsquares': 10,
  'athena.control.reorder_gridsquares': 5,
  'athena.control.reorder_foilholes': 1,
};

/** What must differ for a recommendation to count as changed: the ids in order (scores and reasons alone do not). */
export function identityOf(type: string, payload: Record<string, unknown>): string {
  const ids = (list: unknown, key: string) => ((list as Array<Record<string, string>> | undefined) ?? []).map((x) => x[key]);
  switch (type) {
    case 'athena.control.skip_gridsquares':
      return JSON.stringify(ids(payload.gridsquares_to_skip, 'gridsquare_uuid'));
    case 'athena.control.reorder_gridsquares':
      return JSON.stringify(ids(payload.gridsquare_order, 'gridsquare_uuid'));
    default:
      return JSON.stringify([ids(payload.foilhole_order, 'foilhole_uuid'), ids(payload.foilholes_to_skip, 'foilhole_uuid')]);
  }
}

/** The grid's current recommendations, computed once for all its sessions. */
export async function gridRecommendations(db: Db, gridUuid: string, config: QualityConfig): Promise<NewInstruction[]> {
  const authority = (await storedAuthority(db, gridUuid)) ?? resolveAuthority();
  const live = await loadLiveGrid(db, gridUuid, config);
  const grid = live.grid;
  const engine = createAuthority(authority, grid);
  const p = engine.estimate();
  // Every square of the atlas, those EPU has not imaged yet too (at what the learner expects of them), so the square
  // order tells EPU which square to image next. Not before EPU has collected anything: nothing then tells the squares
  // apart, and the operator's first choice stands. Ties in EPU's id order, not the uuids' (stable from run to run).
  const unseenPrior = live.current >= 0 ? (engine.squarePrior?.() ?? uniformPrior(grid, p)) : undefined;
  const squares = rankSquares(grid, p, live.current, { unseenPrior })
    .filter((s) => s.unseen || s.remaining > 0)
    .sort(
      (a, b) =>
        b.rate - a.rate ||
        b.expectedGood - a.expectedGood ||
        live.squareNaturalIds[a.square]!.localeCompare(live.squareNaturalIds[b.square]!, undefined, { numeric: true }),
    );
  const square = (i: number) => ({ gridsquare_uuid: grid.squareIds[i]!, gridsquare_id: live.squareNaturalIds[i]! });
  const out: NewInstruction[] = [];
  const make = (type: InstructionType, topic: string, payload: Record<string, unknown>): void => {
    out.push({ type, topic, payload, priority: PRIORITY[type] });
  };

  const skipped = squares.filter((s) => s.decision === 'skip');
  make('athena.control.skip_gridsquares', `skip:${gridUuid}`, {
    grid_uuid: gridUuid,
    gridsquares_to_skip: skipped.map((s) => ({
      ...square(s.square),
      skip_reason: `expected ${s.expectedGood.toFixed(1)} good holes of ${s.remaining}; better squares remain`,
    })),
  });
  const collect = squares.filter((s) => s.decision === 'collect');
  make('athena.control.reorder_gridsquares', `order:${gridUuid}`, {
    grid_uuid: gridUuid,
    gridsquare_order: collect.map((s) => ({ ...square(s.square), quality_score: s.rate })),
  });

  // Hole plans: the first squares of the order whose holes are known, and the first squares EPU has not started
  // whose holes are known (collect or skip: EPU may be imaging one the order no longer names), and the current one.
  const withHoles = (list: typeof squares) => list.filter((s) => !s.unseen);
  const planned = new Set(
    [
      ...withHoles(collect).slice(0, SQUARES_WITH_HOLE_PLANS),
      ...withHoles(squares.filter((s) => !started(grid, s.square))).slice(0, SQUARES_WITH_HOLE_PLANS),
    ].map((s) => s.square),
  );
  if (live.current >= 0) planned.add(grid.holeSquare[live.current]!);
  for (const { square: s, holes } of holeSelections(grid, p, live.current, squares, planned)) {
    const hole = (h: number) => ({ foilhole_uuid: grid.holeIds[h]!, foilhole_id: live.holeNaturalIds[h]! });
    const take = holes.filter((h) => h.decision === 'collect');
    const drop = holes.filter((h) => h.decision === 'skip');
    make('athena.control.reorder_foilholes', `holes:${grid.squareIds[s]}`, {
      grid_uuid: gridUuid,
      ...square(s),
      foilhole_order: take.map((h) => ({ ...hole(h.hole), priority_score: h.probability })),
      foilholes_to_skip: drop.map((h) => hole(h.hole)),
    });
  }
  return out;
}

/**
 * The holes of each planned square in the order to collect them, each to collect or to pass over. A hole is worth
 * collecting when it promises more good holes per unit time than going elsewhere would: the best rate among the
 * squares EPU has not started (their trips paid), unseen ones at the prior; with nothing else left, every hole is.
 * The square being collected (that of hole `current`) is left only for a clearly better one, at less than half that
 * rate (as a square is skipped): leaving cannot be undone, and its first few results say little yet.
 */
export function holeSelections(
  grid: DecisionGrid,
  p: Float64Array,
  current: number,
  squares: readonly SquareSuggestion[],
  planned: Iterable<number>,
): Array<{ square: number; holes: HoleSuggestion[] }> {
  const fresh = squares.filter((s) => !started(grid, s.square));
  const here = current >= 0 ? grid.holeSquare[current] : -1;
  const out: Array<{ square: number; holes: HoleSuggestion[] }> = [];
  for (const s of planned) {
    const elsewhere = fresh.reduce((best, o) => (o.square === s ? best : Math.max(best, o.rate)), 0);
    const holes = rankHoles(grid, p, s, { minProbability: s === here ? elsewhere / 2 : elsewhere });
    if (holes.length > 0) out.push({ square: s, holes });
  }
  return out;
}

/** Whether any hole of the square is acquired (or being acquired). */
function started(grid: DecisionGrid, square: number): boolean {
  return grid.squareHoles[square]!.some((h) => grid.acquired[h] === 1);
}

/** For authorities without a square prior: every unseen square at the mean P(good) of the known holes (0.5 without any). */
function uniformPrior(grid: DecisionGrid, p: Float64Array): Float64Array {
  const mean = p.length > 0 ? p.reduce((a, b) => a + b, 0) / p.length : 0.5;
  return new Float64Array(grid.squareIds.length).fill(mean);
}

/**
 * Writes the grid's changed recommendations as instructions for each active agent session of its acquisition;
 * nothing when no agent serves it.
 */
export async function recommendForGrid(db: Db, gridUuid: string, config: QualityConfig): Promise<InstructionRow[]> {
  const sessions = await activeSessionsForGrid(db, gridUuid);
  if (sessions.length === 0) return [];
  const recommendations = await gridRecommendations(db, gridUuid, config);
  const written: InstructionRow[] = [];
  const topics = recommendations.map((r) => r.topic);
  for (const session of sessions) {
    const changed: NewInstruction[] = [];
    const latest = await latestOnTopics(db, session.session_id, topics);
    for (const r of recommendations) {
      const identity = identityOf(r.type, r.payload);
      const last = latest.get(r.topic);
      if (last && identityOf(last.instruction_type, last.payload as Record<string, unknown>) === identity) continue;
      // Nothing to skip and nothing sent before: no instruction.
      if (!last && r.type === 'athena.control.skip_gridsquares' && identity === '[]') continue;
      changed.push(r);
    }
    written.push(...(await issueInstructions(db, [session], changed)));
  }
  return written;
}
