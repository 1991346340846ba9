// The sidecar CSV with every foil hole's hidden true quality (outside the EPU tree: EPU never writes it).
import type { Visit } from './model.ts';

export const GROUND_TRUTH_FILE = 'ground-truth.csv';
export const GROUND_TRUTH_HEADER = 'grid_dir,gridsquare_id,foilhole_id,quality,gridsquare_quality,collected,near_grid_bar,micrographs';

export function groundTruthCsv(visit: Visit): string {
  const lines = [GROUND_TRUTH_HEADER];
  for (const grid of visit.grids) {
    for (const sq of grid.squares) {
      for (const hole of sq.holes) {
        lines.push(
          `${grid.dirName},${sq.id},${hole.id},${hole.quality.toFixed(4)},${sq.quality.toFixed(4)},${hole.collected},${hole.nearGridBar},${hole.shots.length}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
