import { readFile } from 'node:fs/promises';
import { CsvFileError, readCsvFile } from '@smartem/common/csv';

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

/** Reads CryoRL's `name, x, y, ctf_max_res_A, ctf_confidence` CSV (no header) and optional `name predicted` TXT. */
export async function loadCryoRl(truthPath: string, predictionsPath?: string): Promise<BenchDataset> {
  const holes: BenchHole[] = [];
  const seen = new Set<string>();
  for (const { line, cells } of await readCsvFile(truthPath)) {
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
  if (holes.length < 2) throw new Error(`${truthPath}: needs at least 2 holes, found ${holes.length}`);
  if (predictionsPath) {
    const byId = new Map(holes.map((h) => [h.id, h]));
    const ptext = await readFile(predictionsPath, 'utf8');
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
  return { name: truthPath.split('/').pop() ?? truthPath, holes };
}
