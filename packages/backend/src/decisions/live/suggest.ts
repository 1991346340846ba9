import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { grid as gridTable, griddecisionauthority, gridsquare } from '../../db/schema.ts';
import { isAuthorityName, type AuthorityName, createAuthority, rankHoles, rankSquares, DEFAULT_QUALITY, type QualityConfig } from '@smartem/decisions';
import { loadLiveGrid, type LiveGrid } from './load.ts';

export const DEFAULT_AUTHORITY: AuthorityName = 'online-learner';

/** The authority for a request: the explicit choice, else SMARTEM_DECISION_AUTHORITY, else the online learner. */
export function resolveAuthority(requested?: string): AuthorityName {
  const name = requested ?? process.env.SMARTEM_DECISION_AUTHORITY ?? DEFAULT_AUTHORITY;
  if (!isAuthorityName(name)) throw new RangeError(`unknown decision authority "${name}"`);
  return name;
}

/** The authority chosen for a grid (PUT /grids/{uuid}/decision_authority), if any. */
export async function storedAuthority(db: Db, gridUuid: string): Promise<AuthorityName | undefined> {
  const rows = await db.select({ a: griddecisionauthority.authority }).from(griddecisionauthority).where(eq(griddecisionauthority.grid_uuid, gridUuid));
  const name = rows[0]?.a;
  return name !== undefined && isAuthorityName(name) ? name : undefined;
}

/** Chooses the authority for a grid; returns false when the grid does not exist. */
export async function setGridAuthority(db: Db, gridUuid: string, authority: AuthorityName): Promise<boolean> {
  const found = await db.select({ uuid: gridTable.uuid }).from(gridTable).where(eq(gridTable.uuid, gridUuid)).limit(1);
  if (found.length === 0) return false;
  await db
    .insert(griddecisionauthority)
    .values({ grid_uuid: gridUuid, authority })
    .onConflictDoUpdate({ target: griddecisionauthority.grid_uuid, set: { authority, updated_at: new Date() } });
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

export interface SuggestedSquare {
  gridsquare_uuid: string;
  gridsquare_id: string;
  rank: number;
  /** Good holes per unit of time expected from going there now. */
  score: number;
  expected_good_holes: number;
  remaining_holes: number;
  decision: 'collect' | 'skip';
}

export interface SuggestedSquares {
  grid_uuid: string;
  authority: AuthorityName;
  micrographs: number;
  foilholes_with_quality: number;
  squares: SuggestedSquare[];
}

export interface SuggestedHole {
  foilhole_uuid: string;
  foilhole_id: string;
  rank: number;
  probability_good: number;
  decision: 'collect' | 'skip';
}

export interface SuggestedHoles {
  gridsquare_uuid: string;
  grid_uuid: string;
  authority: AuthorityName;
  holes: SuggestedHole[];
}

function estimate(live: LiveGrid, authority: AuthorityName): Float64Array {
  return createAuthority(authority, live.grid).estimate();
}

/** Squares of a grid ranked for collection; undefined when the grid does not exist. */
export async function suggestedSquares(db: Db, gridUuid: string, requested: AuthorityName | undefined, config: QualityConfig): Promise<SuggestedSquares | undefined> {
  const found = await db.select({ uuid: gridTable.uuid }).from(gridTable).where(eq(gridTable.uuid, gridUuid)).limit(1);
  if (found.length === 0) return undefined;
  const authority = requested ?? (await storedAuthority(db, gridUuid)) ?? resolveAuthority();
  const live = await loadLiveGrid(db, gridUuid, config);
  const p = estimate(live, authority);
  const ranked = rankSquares(live.grid, p, live.current);
  return {
    grid_uuid: gridUuid,
    authority,
    micrographs: live.micrographs,
    foilholes_with_quality: live.decidedHoles,
    squares: ranked.map((s, i) => ({
      gridsquare_uuid: live.grid.squareIds[s.square],
      gridsquare_id: live.squareNaturalIds[s.square],
      rank: i + 1,
      score: s.rate,
      expected_good_holes: s.expectedGood,
      remaining_holes: s.remaining,
      decision: s.decision,
    })),
  };
}

/** A square's remaining foil holes in collection order; undefined when the square (or its grid) does not exist. */
export async function suggestedHoles(db: Db, squareUuid: string, requested: AuthorityName | undefined, config: QualityConfig): Promise<SuggestedHoles | undefined> {
  const found = await db.select({ grid: gridsquare.grid_uuid }).from(gridsquare).where(eq(gridsquare.uuid, squareUuid)).limit(1);
  const gridUuid = found[0]?.grid;
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
