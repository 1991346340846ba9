// What a generated visit holds, for tests and callers to compare with what the parser or backend reads.
import { join } from 'node:path';
import { gridPaths } from './plan.ts';
import type { Visit } from './model.ts';

export interface VisitCounts {
  /** Grid squares on the atlas = `Metadata/GridSquare_<id>.dm` files. */
  gridSquares: number;
  /** Squares with an `Images-Disc1/GridSquare_<id>/` folder and manifest. */
  gridSquaresCollected: number;
  /** Foil holes listed (target locations) in the collected squares' metadata. */
  foilHoles: number;
  /** Foil holes with FoilHoles/ manifests and micrographs. */
  foilHolesCollected: number;
  /** FoilHoles/*.xml files, duplicates included. */
  foilHoleManifests: number;
  /** Data/*.xml micrograph manifests. */
  micrographs: number;
  atlasTiles: number;
}

export interface GeneratedGrid {
  /** Absolute path of the grid directory (holds `EpuSession.dm`). */
  dir: string;
  /** Absolute path of this grid's `Atlas.dm`. */
  atlasPath: string;
  sessionId: string;
  sessionName: string;
  counts: VisitCounts;
  /** Natural ids, as the parser reports them. */
  gridSquareIds: string[];
  collectedGridSquareIds: string[];
  foilHoleIds: string[];
  micrographIds: string[];
}

export interface GeneratedVisit {
  root: string;
  seed: number;
  visitName: string;
  /** Absolute path of the sidecar CSV of true foil-hole qualities. */
  groundTruthCsv: string;
  grids: GeneratedGrid[];
  counts: VisitCounts;
  files: number;
  bytes: number;
  elapsedMs: number;
}

export function summarise(visit: Visit, root: string): Omit<GeneratedVisit, 'files' | 'bytes' | 'elapsedMs' | 'groundTruthCsv'> {
  const grids = visit.grids.map((grid): GeneratedGrid => {
    const collected = grid.squares.filter((s) => s.collected);
    const holes = collected.flatMap((s) => s.holes);
    const holesCollected = holes.filter((h) => h.collected);
    const paths = gridPaths(visit, grid);
    return {
      dir: join(root, paths.dir),
      atlasPath: join(root, paths.atlasDm),
      sessionId: String(grid.sessionId),
      sessionName: grid.sessionName,
      counts: {
        gridSquares: grid.squares.length,
        gridSquaresCollected: collected.length,
        foilHoles: holes.length,
        foilHolesCollected: holesCollected.length,
        foilHoleManifests: holesCollected.reduce((n, h) => n + h.manifestTimes.length, 0),
        micrographs: holesCollected.reduce((n, h) => n + h.shots.length, 0),
        atlasTiles: grid.tiles.length,
      },
      gridSquareIds: grid.squares.map((s) => String(s.id)),
      collectedGridSquareIds: collected.map((s) => String(s.id)),
      foilHoleIds: holes.map((h) => String(h.id)),
      micrographIds: holesCollected.flatMap((h) => h.shots.map((s) => s.uniqueId)),
    };
  });
  const counts = grids.reduce<VisitCounts>(
    (sum, g) => {
      for (const k of Object.keys(sum) as (keyof VisitCounts)[]) sum[k] += g.counts[k];
      return sum;
    },
    { gridSquares: 0, gridSquaresCollected: 0, foilHoles: 0, foilHolesCollected: 0, foilHoleManifests: 0, micrographs: 0, atlasTiles: 0 },
  );
  return { root, seed: visit.options.seed, visitName: visit.name, grids, counts };
}
