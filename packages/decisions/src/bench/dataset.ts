import { readFile } from 'node:fs/promises';
import { CsvFileError, readCsvFile, withHeader, type CsvRow } from '@smartem/common/csv';

/** One benchmark grid: every hole with its place in the hierarchy, true CTF resolution and optional prediction. */
export interface BenchHole {
  id: string;
  tile: string;
  square: string;
  group: string;
  x: number;
  y: number;
  /** True CTF max resolution in Å (100000 marks a failed fit: never good). */
  ctf: number;
  /** Predicted CTF max resolution in Å, when a prediction file was given. */
  predicted?: number;
}

export interface BenchDataset {
  name: string;
  holes: BenchHole[];
}

/**
 * CryoRL's name encodes the hierarchy: name[:23] atlas tile ("gr"), name[:31] grid square ("sq"), name[:43] patch
 * ("hl", the foil-hole group), the whole name the hole.
 */
const TILE_LEN = 23;
const SQUARE_LEN = 31;
const GROUP_LEN = 43;

/** The protocol's good hole: CTF max resolution at most this many Å. */
export const GOOD_CTF_ANGSTROM = 6;

/**
 * The CTF max resolution (Å) standing for a simulated hole's hidden quality in [0, 1]: linear, 9 Å at 0, 3 Å at 1,
 * so quality ≥ 0.5 is exactly a good hole (≤ 6 Å). The EPU simulator's processing feedback reports the same value.
 */
export function ctfFromQuality(quality: number): number {
  return 3 + 6 * (1 - quality);
}

/** The first columns of the EPU simulator's `ground-truth.csv` (it has a header; CryoRL's files do not). */
const SIMULATOR_COLUMNS = ['grid_dir', 'gridsquare_id', 'foilhole_id', 'quality'];

/**
 * Reads a truth file: CryoRL's `name, x, y, ctf_max_res_A, ctf_confidence` CSV (no header), or the EPU simulator's
 * `ground-truth.csv` (recognised by its header), and an optional `name predicted` TXT.
 */
export async function loadCryoRl(truthPath: string, predictionsPath?: string): Promise<BenchDataset> {
  const rows = await readCsvFile(truthPath);
  const isSimulator = rows.length > 0 && SIMULATOR_COLUMNS.every((c, i) => rows[0].cells[i] === c);
  const holes = isSimulator ? simulatorHoles(truthPath, rows) : cryoRlHoles(truthPath, rows);
  if (holes.length < 2) throw new Error(`${truthPath}: needs at least 2 holes, found ${holes.length}`);
  if (predictionsPath) readPredictions(truthPath, predictionsPath, holes, await readFile(predictionsPath, 'utf8'));
  return { name: truthPath.split('/').pop() ?? truthPath, holes };
}

function cryoRlHoles(truthPath: string, rows: CsvRow[]): BenchHole[] {
  const holes: BenchHole[] = [];
  const seen = new Set<string>();
  for (const { line, cells } of rows) {
    const fail = (column: number | undefined, reason: string) => new CsvFileError(truthPath, line, column, reason);
    if (cells.length < 4) throw fail(undefined, `expected name,x,y,ctf[,confidence], got ${cells.length} columns`);
    const [name] = cells;
    if (name.length <= GROUP_LEN) throw fail(1, `hole name "${name}" is too short for the CryoRL hierarchy`);
    if (seen.has(name)) throw fail(1, `duplicate hole "${name}"`);
    const [x, y, ctf] = [1, 2, 3].map((i) => {
      const value = Number(cells[i]);
      if (cells[i] === '' || !Number.isFinite(value)) throw fail(i + 1, `${['x', 'y', 'ctf'][i - 1]} must be a number, got "${cells[i]}"`);
      return value;
    });
    seen.add(name);
    holes.push({ id: name, tile: name.slice(0, TILE_LEN), square: name.slice(0, SQUARE_LEN), group: name.slice(0, GROUP_LEN), x, y, ctf });
  }
  return holes;
}

/**
 * The simulator's holes that EPU targets (`collected` = true): the hole id is the EPU foil hole id, its square the
 * grid square within its grid, its "atlas tile" the grid, and each hole its own patch (the simulator has no
 * beam-shift groups). The CTF comes from the hidden quality (`ctfFromQuality`); there are no positions.
 */
function simulatorHoles(truthPath: string, rows: CsvRow[]): BenchHole[] {
  const names = [...SIMULATOR_COLUMNS, 'collected'];
  const { column, rows: data } = withHeader(rows, truthPath, names);
  const [grid, square, hole, quality, collected] = names.map((name) => column[name]);
  const holes: BenchHole[] = [];
  const seen = new Set<string>();
  for (const { line, cells } of data) {
    const fail = (column: number, reason: string) => new CsvFileError(truthPath, line, column + 1, reason);
    const needed = Math.max(grid, square, hole, quality, collected) + 1;
    if (cells.length < needed) throw fail(cells.length - 1, `expected at least ${needed} columns, got ${cells.length}`);
    if (cells[collected] !== 'true' && cells[collected] !== 'false')
      throw fail(collected, `collected must be true or false, got "${cells[collected]}"`);
    if (cells[collected] === 'false') continue;
    const q = Number(cells[quality]);
    if (cells[quality] === '' || !Number.isFinite(q) || q < 0 || q > 1)
      throw fail(quality, `quality must be a number in [0, 1], got "${cells[quality]}"`);
    const id = cells[hole];
    if (!/^\d+$/.test(id)) throw fail(hole, `foilhole_id must be an EPU id (digits), got "${id}"`);
    if (seen.has(id)) throw fail(hole, `duplicate foil hole "${id}"`);
    seen.add(id);
    const gridDir = cells[grid];
    holes.push({ id, tile: gridDir, square: `${gridDir}/${cells[square]}`, group: id, x: 0, y: 0, ctf: ctfFromQuality(q) });
  }
  return holes;
}

function readPredictions(truthPath: string, predictionsPath: string, holes: BenchHole[], ptext: string): void {
  const byId = new Map(holes.map((h) => [h.id, h]));
  ptext.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const [name, value] = line.trim().split(/\s+/);
    const predicted = Number(value);
    if (!Number.isFinite(predicted)) throw new Error(`${predictionsPath}:${i + 1}: prediction must be a number, got "${value}"`);
    const hole = byId.get(name);
    if (hole) hole.predicted = predicted;
  });
  const missing = holes.filter((h) => h.predicted === undefined).length;
  if (missing === holes.length) throw new Error(`${predictionsPath}: no prediction matches a hole of ${truthPath}`);
}
