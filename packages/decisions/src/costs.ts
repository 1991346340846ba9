import type { DecisionGrid } from './grid-model.ts';

/**
 * Time to move to the next hole, by how far it is in the hierarchy. The defaults are the CryoRL benchmark's
 * (next hole of the same group by beam shift 1, another group of the square 2, another square of the atlas tile 6,
 * another tile 8), which match the microscope's relative costs: beam shift ≪ stage move ≪ stage move + re-centring.
 */
export interface MoveCosts {
  sameGroup: number;
  sameSquare: number;
  sameTile: number;
  otherTile: number;
}

export const DEFAULT_COSTS: MoveCosts = { sameGroup: 1, sameSquare: 2, sameTile: 6, otherTile: 8 };

/** Cost of moving from hole `from` (−1: nowhere yet) to a hole of group `group`. */
export function costToGroup(grid: DecisionGrid, from: number, group: number, costs: MoveCosts): number {
  if (from < 0) return costs.otherTile;
  if (grid.holeGroup[from] === group) return costs.sameGroup;
  const square = grid.groupSquare[group];
  if (grid.holeSquare[from] === square) return costs.sameSquare;
  if (grid.holeTile[from] === grid.squareTile[square]) return costs.sameTile;
  return costs.otherTile;
}

export function moveCost(grid: DecisionGrid, from: number, to: number, costs: MoveCosts): number {
  return costToGroup(grid, from, grid.holeGroup[to], costs);
}

/** Cost of moving from hole `from` (−1: nowhere yet) to the first hole of square `square`. */
export function costToSquare(grid: DecisionGrid, from: number, square: number, costs: MoveCosts): number {
  if (from < 0) return costs.otherTile;
  if (grid.holeSquare[from] === square) return costs.sameSquare;
  return grid.holeTile[from] === grid.squareTile[square] ? costs.sameTile : costs.otherTile;
}
