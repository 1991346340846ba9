/** The atlas page's compact ranking: `suggested_squares` as one array per field the page draws. */
import type { AtlasRanking } from '@smartem/common';
import type { Db } from '../db/index.ts';
import { qualityConfigFromEnv, resolveAuthority, storedAuthority, suggestedSquares } from './decisions/suggestions.ts';

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const maybe = (v: number | undefined) => (v === undefined ? null : round(v));

/** The authority that ranks the grid now and the quality settings: what the ranking depends on beside the database. */
export async function atlasRankingKey(db: Db, gridUuid: string): Promise<string> {
  const authority = (await storedAuthority(db, gridUuid)) ?? resolveAuthority();
  return `${gridUuid} ${authority} ${JSON.stringify(qualityConfigFromEnv())}`;
}

/** undefined when the grid does not exist. */
export async function atlasRanking(db: Db, gridUuid: string): Promise<AtlasRanking | undefined> {
  const ranked = await suggestedSquares(db, gridUuid, undefined, qualityConfigFromEnv());
  if (!ranked) return undefined;
  const s = ranked.squares;
  return {
    grid_uuid: gridUuid,
    authority: ranked.authority,
    squares: {
      gridsquare_uuid: s.map((x) => x.gridsquare_uuid),
      gridsquare_id: s.map((x) => x.gridsquare_id),
      collect: s.map((x) => (x.decision === 'collect' ? 1 : 0)),
      expected_good_holes: s.map((x) => round(x.expected_good_holes)),
      remaining_holes: s.map((x) => x.remaining_holes),
      p_good_mean: s.map((x) => maybe(x.p_good_mean)),
      p_good_low: s.map((x) => maybe(x.p_good_low)),
      p_good_high: s.map((x) => maybe(x.p_good_high)),
      observed_good_share: s.map((x) => maybe(x.observed_good_share)),
    },
  };
}
