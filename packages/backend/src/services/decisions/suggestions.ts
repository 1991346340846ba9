import {
  isAuthorityName,
  type AuthorityName,
  createAuthority,
  epuRankOf,
  inRecommendedOrder,
  rankHoles,
  rankSquares,
  squareEstimates,
  DEFAULT_QUALITY,
  type QualityConfig,
} from '@smartem/decisions';
import type { SuggestedHoles, SuggestedSquares } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import { saveAuthority, storedAuthorityName } from '../../repositories/authority.ts';
import { gridExists, gridOfSquare, loadLiveGridRows } from '../../repositories/live-grid.ts';
import { buildLiveGrid, type LiveGrid } from './live-grid.ts';

/** Loads a grid's rows and builds the engine's model of it. */
export async function loadLiveGrid(db: Db, gridUuid: string, config: QualityConfig): Promise<LiveGrid> {
  return buildLiveGrid(gridUuid, await loadLiveGridRows(db, gridUuid), config);
}

export const DEFAULT_AUTHORITY: AuthorityName = 'online-learner';

/** The authority for a request: the explicit choice, else SMARTEM_DECISION_AUTHORITY, else the online learner. */
export function resolveAuthority(requested?: string): AuthorityName {
  const name = requested ?? process.env.SMARTEM_DECISION_AUTHORITY ?? DEFAULT_AUTHORITY;
  if (!isAuthorityName(name)) throw new RangeError(`unknown decision authority "${name}"`);
  return name;
}

/** The authority chosen for a grid (PUT /grids/{uuid}/decision_authority), if any. */
export async function storedAuthority(db: Db, gridUuid: string): Promise<AuthorityName | undefined> {
  const name = await storedAuthorityName(db, gridUuid);
  return name !== undefined && isAuthorityName(name) ? name : undefined;
}

/** The authority that decides for a grid, and whether it was chosen for it; undefined when the grid does not exist. */
export async function gridAuthority(
  db: Db,
  gridUuid: string,
): Promise<{ authority: AuthorityName; source: 'grid' | 'default' } | undefined> {
  const stored = await storedAuthority(db, gridUuid);
  if (stored) return { authority: stored, source: 'grid' };
  // Distinguish "no choice" from "no grid".
  if (!(await gridExists(db, gridUuid))) return undefined;
  return { authority: resolveAuthority(), source: 'default' };
}

/** Chooses the authority for a grid; returns false when the grid does not exist. */
export async function setGridAuthority(db: Db, gridUuid: string, authority: AuthorityName): Promise<boolean> {
  if (!(await gridExists(db, gridUuid))) return false;
  await saveAuthority(db, gridUuid, authority);
  return true;
}

/** Quality thresholds from the environment (SMARTEM_CTF_MAX_RESOLUTION, SMARTEM_MAX_TOTAL_MOTION, SMARTEM_MIN_PARTICLES). */
export function qualityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QualityConfig {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  return {
    ...DEFAULT_QUALITY,
    ctfMaxResolution: num('SMARTEM_CTF_MAX_RESOLUTION') ?? DEFAULT_QUALITY.ctfMaxResolution,
    maxTotalMotion: num('SMARTEM_MAX_TOTAL_MOTION'),
    minParticles: num('SMARTEM_MIN_PARTICLES'),
  };
}

function estimate(live: LiveGrid, authority: AuthorityName): Float64Array {
  return createAuthority(authority, live.grid).estimate();
}

/** Squares of a grid ranked for collection; undefined when the grid does not exist. */
export async function suggestedSquares(
  db: Db,
  gridUuid: string,
  requested: AuthorityName | undefined,
  config: QualityConfig,
): Promise<SuggestedSquares | undefined> {
  if (!(await gridExists(db, gridUuid))) return undefined;
  const authority = requested ?? (await storedAuthority(db, gridUuid)) ?? resolveAuthority();
  const live = await loadLiveGrid(db, gridUuid, config);
  const engine = createAuthority(authority, live.grid);
  const p = engine.estimate();
  // The order the backend recommends to EPU, then the squares it skips (those with nothing left among them).
  const ordered = inRecommendedOrder(rankSquares(live.grid, p, live.current), epuRankOf(live.squareNaturalIds));
  const ranked = [...ordered.filter((s) => s.decision === 'collect'), ...ordered.filter((s) => s.decision === 'skip')];
  const estimates = squareEstimates(live.grid, p, engine.groupUncertainty?.());
  return {
    grid_uuid: gridUuid,
    authority,
    micrographs: live.micrographs,
    foilholes_with_quality: live.decidedHoles,
    squares: ranked.map((s, i) => {
      const e = estimates[s.square];
      return {
        gridsquare_uuid: live.grid.squareIds[s.square],
        gridsquare_id: live.squareNaturalIds[s.square],
        rank: i + 1,
        score: s.rate,
        expected_good_holes: s.expectedGood,
        remaining_holes: s.remaining,
        decision: s.decision,
        ...(e && { p_good_mean: e.mean, p_good_low: e.low, p_good_high: e.high, observed_holes: e.observedHoles }),
        ...(e?.observedShare != null && { observed_good_share: e.observedShare }),
      };
    }),
  };
}

/** A square's remaining foil holes in collection order; undefined when the square (or its grid) does not exist. */
export async function suggestedHoles(
  db: Db,
  squareUuid: string,
  requested: AuthorityName | undefined,
  config: QualityConfig,
): Promise<SuggestedHoles | undefined> {
  const gridUuid = await gridOfSquare(db, squareUuid);
  if (!gridUuid) return undefined;
  const authority = requested ?? (await storedAuthority(db, gridUuid)) ?? resolveAuthority();
  const live = await loadLiveGrid(db, gridUuid, config);
  const square = live.grid.squareIndex.get(squareUuid);
  if (square === undefined) return undefined;
  const p = estimate(live, authority);
  return {
    gridsquare_uuid: squareUuid,
    grid_uuid: gridUuid,
    authority,
    holes: rankHoles(live.grid, p, square).map((h, i) => ({
      foilhole_uuid: live.grid.holeIds[h.hole],
      foilhole_id: live.holeNaturalIds[h.hole],
      rank: i + 1,
      probability_good: h.probability,
      decision: h.decision,
    })),
  };
}
