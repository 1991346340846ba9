/**
 * SmartEM's recommendations for a grid, as instructions for the agents serving its acquisition: which squares to skip
 * (worth less than half the best square's rate of good holes), the order of the squares worth collecting, and for the
 * next few of them (and the square being collected) which holes to collect in which order. Written only when a
 * recommendation changed for a session — the same squares or holes in the same order write nothing — so every
 * processing result may call this.
 */
import { createAuthority, epuRankOf, recommend, type QualityConfig } from '@smartem/decisions';
import type { InstructionType } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { activeSessionsForGrid, latestOnTopics, type InstructionRow } from '../../repositories/instructions.ts';
import { loadLiveGrid, resolveAuthority, storedAuthority } from '../decisions/suggestions.ts';
import { issueInstructions, type NewInstruction } from './instructions.ts';

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
  const { squares, holes } = recommend(grid, engine, p, live.current, epuRankOf(live.squareNaturalIds));
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
  for (const { square: s, holes: list } of holes) {
    const hole = (h: number) => ({ foilhole_uuid: grid.holeIds[h]!, foilhole_id: live.holeNaturalIds[h]! });
    const take = list.filter((h) => h.decision === 'collect');
    const drop = list.filter((h) => h.decision === 'skip');
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
