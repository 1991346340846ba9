// The simulated visit as data: ids, geometry, times and hidden quality of everything EPU would write.
// The XML builders and the file plan only read this; all randomness happens here, from one seed.
import { Rng } from './rng.ts';
import { defaultQualityField, qualityFieldFromCsv, type QualityField } from './quality.ts';
import { buildSquares, buildTiles } from './layout.ts';

export { ATLAS, SQUARE_IMAGE } from './layout.ts';

export interface VisitOptions {
  /** Grid squares collected per grid (each gets an `Images-Disc1/GridSquare_<id>/` folder). Default 4. */
  squares?: number;
  /** Foil holes collected per collected square. Default 10. */
  holesPerSquare?: number;
  /** Micrographs (Data manifests) per collected foil hole. Default 4. */
  shotsPerHole?: number;
  /** Seed of every random choice; the same seed gives the same bytes. Default 1. */
  seed?: number;
  /** Write the atlas tile images (`Tile_*.xml/.jpg`) beside `Atlas.dm`. Default true. */
  atlas?: boolean;
  /** CSV of qualities laid over the atlas (see docs/epu-sim.md); default a built-in spatially correlated field. */
  qualityMap?: string;
  /** Grids (EPU sessions, one `EpuSession.dm` each) sharing one atlas screening session. Default 1. */
  grids?: number;
  /**
   * Foil holes collected in each selected square, in the order EPU collects them (atlas order); sets the number of
   * squares and overrides `holesPerSquare`. Lays a truth file's squares over the visit.
   */
  holesBySquare?: readonly number[];
}

export const SHOT_SECONDS = 4;

export interface AtlasTile {
  id: number;
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
  stageX: number;
  stageY: number;
  positionIds: number[];
}

export interface Shot {
  areaId: number;
  /** Second number in the Data file name (EPU's exposure counter within the template). */
  n: number;
  timeMs: number;
  uniqueId: string;
  guid: string;
  appliedDefocus: number;
  defocus: number;
}

export interface Hole {
  id: number;
  pixelX: number;
  pixelY: number;
  stageX: number;
  stageY: number;
  diameter: number;
  nearGridBar: boolean;
  selected: boolean;
  collected: boolean;
  quality: number;
  /** Hole-finding result written in the FoilHole manifest (`FindFoilHoleCenterResults`). */
  findQuality: number;
  /** Times of the FoilHoles/ manifests; two entries when EPU writes the hole twice, seconds apart. */
  manifestTimes: number[];
  manifestGuids: string[];
  shots: Shot[];
}

export interface Square {
  id: number;
  tile: AtlasTile;
  tilePositionId: number;
  /** Centre and size on the atlas image (pixels) and physical position (metres). */
  atlasX: number;
  atlasY: number;
  atlasWidth: number;
  atlasHeight: number;
  physicalX: number;
  physicalY: number;
  stageX: number;
  stageY: number;
  stageZ: number;
  rotation: number;
  quality: number;
  collected: boolean;
  /** Place in the operator's selection (0 = picked first), -1 when not selected. */
  selectionRank: number;
  /** Collection order (EPU's `Order`), -1 when not collected. */
  order: number;
  collectionId: number;
  imageTimeMs: number;
  imageGuid: string;
  /** When the large Metadata file with the target locations is written. */
  targetsTimeMs: number;
  holes: Hole[];
}

export interface Grid {
  index: number;
  slot: number;
  dirName: string;
  sessionId: number;
  sampleId: number;
  storageFolderId: number;
  sessionName: string;
  startMs: number;
  endMs: number;
  atlasId: number;
  atlasImageId: number;
  atlasTimeMs: number;
  tiles: AtlasTile[];
  squares: Square[];
  /** Data acquisition areas of the target template: one per shot in a hole. */
  areas: { id: number; settingId: number }[];
  defocusList: number[];
}

export interface Visit {
  name: string;
  atlasDirName: string;
  atlasStartMs: number;
  grids: Grid[];
  options: Required<Omit<VisitOptions, 'qualityMap' | 'holesBySquare'>> & { qualityMap?: string; holesBySquare?: readonly number[] };
}

export function resolveOptions(opts: VisitOptions): Visit['options'] {
  const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) throw new Error(`epu-sim: --${name} must be an integer ≥ ${min}, got ${value}`);
    return v;
  };
  return {
    squares: positive('squares', opts.squares, 4),
    holesPerSquare: positive('holes-per-square', opts.holesPerSquare, 10),
    shotsPerHole: positive('shots-per-hole', opts.shotsPerHole, 4),
    seed: positive('seed', opts.seed, 1, 0),
    atlas: opts.atlas ?? true,
    grids: positive('grids', opts.grids, 1),
    ...(opts.qualityMap === undefined ? {} : { qualityMap: opts.qualityMap }),
    ...(opts.holesBySquare === undefined ? {} : { holesBySquare: opts.holesBySquare, squares: opts.holesBySquare.length }),
  };
}

/** Builds the whole visit from the options. Pure: no file is touched except reading `qualityMap`. */
export function buildVisit(opts: VisitOptions): Visit {
  const options = resolveOptions(opts);
  const rng = new Rng(options.seed);
  const field: QualityField = options.qualityMap ? qualityFieldFromCsv(options.qualityMap) : defaultQualityField(rng.fork(1));
  const ids = new IdSource(4_500_000 + rng.int(0, 400_000) * 10);
  const visitName = `bi${rng.int(20000, 39999)}-${rng.int(1, 60)}`;
  const atlasStartMs = Date.UTC(2025, 0, 29, 9, 0, 0) + rng.int(0, 86_400) * 1000;
  const grids: Grid[] = [];
  let sessionStart = atlasStartMs + 45 * 60_000;
  for (let g = 0; g < options.grids; g++) {
    const grid = buildGrid(g, options, rng.fork(100 + g), ids, field, sessionStart, visitName, atlasStartMs);
    grids.push(grid);
    sessionStart = grid.endMs + 15 * 60_000;
  }
  const atlasDirName = `Supervisor_${stampCompact(atlasStartMs)}_${visitName}_atlas`;
  return { name: visitName, atlasDirName, atlasStartMs, grids, options };
}

export class IdSource {
  constructor(private n: number) {}
  next(gapMax = 3): number {
    this.n += 1 + Math.floor((((this.n * 2654435761) % 997) / 997) * gapMax);
    return this.n;
  }
}

function stampCompact(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Times of a square's image and hole finding from `t`; returns when its first hole can start. */
export function scheduleSquareImage(sq: Square, t: number, rng: Rng): number {
  sq.imageTimeMs = t;
  sq.targetsTimeMs = t + rng.int(40, 90) * 1000;
  return sq.targetsTimeMs + rng.int(20, 60) * 1000;
}

/**
 * Times, manifests and shots of `holes`, collected in this order from `t`; returns the time after the last one.
 * `order` numbers the exposures (the square's collection order plus one).
 */
export function scheduleHoles(
  holes: readonly Hole[],
  areas: Grid['areas'],
  defocusList: readonly number[],
  order: number,
  t: number,
  rng: Rng,
): number {
  for (const hole of holes) {
    hole.manifestTimes = [t];
    hole.manifestGuids = [rng.guid()];
    if (rng.chance(0.3)) {
      hole.manifestTimes.push(t + rng.int(5, 9) * 1000);
      hole.manifestGuids.push(rng.guid());
    }
    t += rng.int(10, 14) * 1000;
    hole.shots = areas.map((area, k) => {
      t += SHOT_SECONDS * 1000 + rng.int(0, 900);
      const applied = defocusList[(hole.id + k) % defocusList.length];
      return {
        areaId: area.id,
        n: 1 + ((order * 7 + k) % 60),
        timeMs: t,
        uniqueId: rng.guid(),
        guid: rng.guid(),
        appliedDefocus: applied,
        defocus: applied + rng.gauss() * 1.5e-7,
      };
    });
    t += rng.int(2, 6) * 1000;
  }
  return t;
}

/** The stage move and setup between two squares. */
export function squareGap(rng: Rng): number {
  return rng.int(60, 180) * 1000;
}

function buildGrid(
  index: number,
  options: Visit['options'],
  rng: Rng,
  ids: IdSource,
  field: QualityField,
  startMs: number,
  visitName: string,
  atlasStartMs: number,
): Grid {
  const slot = index + 1;
  const sessionId = ids.next();
  const storageFolderId = ids.next();
  const sampleId = ids.next();
  const areas = Array.from({ length: options.shotsPerHole }, () => {
    const id = ids.next(5);
    return { id, settingId: id + 2 };
  });
  const defocusList = Array.from({ length: 6 }, (_, i) => -(0.8 + 0.3 * i) * 1e-6);
  const atlasId = ids.next();
  const atlasImageId = ids.next();
  const tiles = buildTiles(rng, ids);
  const squares = buildSquares(options, rng, ids, field, tiles);
  // Timeline: square selection a few minutes after start, then each square: image, hole finding, holes.
  let t = startMs + 6 * 60_000 + rng.int(0, 60_000);
  let order = 0;
  for (const sq of squares) {
    if (!sq.collected) continue;
    sq.order = order++;
    t = scheduleSquareImage(sq, t, rng);
    t = scheduleHoles(
      sq.holes.filter((h) => h.collected),
      areas,
      defocusList,
      order,
      t,
      rng,
    );
    t += squareGap(rng);
  }
  return {
    index,
    slot,
    dirName: `Supervisor_${stampCompact(startMs)}_${rng.int(10, 99)}_${visitName}_grid${index + 1}_EPU`,
    sessionId,
    sampleId,
    storageFolderId,
    sessionName: `Supervisor_${stampCompact(startMs)}_${visitName}_grid${index + 1}`,
    startMs,
    endMs: t,
    atlasId,
    atlasImageId,
    atlasTimeMs: atlasStartMs + index * 20 * 60_000 + 10 * 60_000,
    tiles,
    squares,
    areas,
    defocusList,
  };
}
