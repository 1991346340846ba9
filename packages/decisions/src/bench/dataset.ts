import { readFile } from 'node:fs/promises';

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
  const text = await readFile(truthPath, 'utf8');
  const holes: BenchHole[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cols = line.split(',');
    const where = `${truthPath}:${i + 1}`;
    if (cols.length < 4) throw new Error(`${where}: expected name,x,y,ctf[,confidence], got ${cols.length} columns`);
    const [name, xs, ys, ctfs] = cols.map((c) => c.trim());
    if (name.length <= GROUP_LEN) throw new Error(`${where}: hole name "${name}" is too short for the CryoRL hierarchy`);
    if (seen.has(name)) throw new Error(`${where}: duplicate hole "${name}"`);
    const [x, y, ctf] = [xs, ys, ctfs].map(Number);
    if (![x, y, ctf].every(Number.isFinite)) throw new Error(`${where}: x, y and ctf must be numbers`);
    seen.add(name);
    holes.push({ id: name, tile: name.slice(0, TILE_LEN), square: name.slice(0, SQUARE_LEN), group: name.slice(0, GROUP_LEN), x, y, ctf });
  });
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
