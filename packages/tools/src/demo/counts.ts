import type { SmartEmClient } from '@smartem/client';
import type { VisitCounts } from '@smartem/epu-sim';

/** Rows the backend holds, by entity. */
export interface BackendCounts {
  acquisitions: number;
  grids: number;
  gridsquares: number;
  foilholes: number;
  micrographs: number;
}

export async function backendCounts(client: SmartEmClient): Promise<BackendCounts> {
  const [acquisitions, grids, gridsquares, foilholes, micrographs] = await Promise.all([
    client.list('acquisition'),
    client.list('grid'),
    client.list('gridsquare'),
    client.list('foilhole'),
    client.list('micrograph'),
  ]);
  return {
    acquisitions: acquisitions.length,
    grids: grids.length,
    gridsquares: gridsquares.length,
    foilholes: foilholes.length,
    micrographs: micrographs.length,
  };
}

/** What the backend must hold once the visit is ingested (one acquisition for the whole visit). */
export function expectedCounts(grids: number, c: VisitCounts): BackendCounts {
  return { acquisitions: 1, grids, gridsquares: c.gridSquares, foilholes: c.foilHoles, micrographs: c.micrographs };
}

export function complete(have: BackendCounts, want: BackendCounts): boolean {
  return (Object.keys(want) as (keyof BackendCounts)[]).every((k) => have[k] === want[k]);
}

export function countsLine(have: BackendCounts, want: BackendCounts): string {
  const f = (k: keyof BackendCounts, label: string) => `${have[k]}/${want[k]} ${label}`;
  return [
    f('acquisitions', 'acquisition'),
    f('grids', 'grids'),
    f('gridsquares', 'squares'),
    f('foilholes', 'foil holes'),
    f('micrographs', 'micrographs'),
  ].join(', ');
}
