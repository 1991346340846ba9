// The simulated visit as data: ids, geometry, times and hidden quality of everything EPU would write.
// The XML builders and the file plan only read this; all randomness happens here, from one seed.
import { Rng } from './rng.ts';
import { clamp01, defaultQualityField, qualityFieldFromCsv, type QualityField } from './quality.ts';

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
  options: Required<Omit<VisitOptions, 'qualityMap'>> & { qualityMap?: string };
}

/** Atlas geometry (pixels of the atlas image, metres per pixel): an 8×8 tile mosaic as EPU acquires it. */
export const ATLAS = { tiles: 8, tileWidth: 833, tileHeight: 592, stepX: 792, stepY: 562, pixelSize: 3.41e-7 };
/** Grid square image (K3, binned): pixels and metres per pixel. */
export const SQUARE_IMAGE = { width: 2880, height: 2046, pixelSize: 4.156e-8 };

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
  let sessionStart = atlasStartMs + 2 * 3600_000;
  for (let g = 0; g < options.grids; g++) {
    const grid = buildGrid(g, options, rng.fork(100 + g), ids, field, sessionStart, visitName, atlasStartMs);
    grids.push(grid);
    sessionStart = grid.endMs + 15 * 60_000;
  }
  const atlasDirName = `Supervisor_${stampCompact(atlasStartMs)}_${visitName}_atlas`;
  return { name: visitName, atlasDirName, atlasStartMs, grids, options };
}

class IdSource {
  constructor(private n: number) {}
  next(gapMax = 3): number {
    this.n += 1 + Math.floor((this.n * 2654435761) % 997 / 997 * gapMax);
    return this.n;
  }
}

function stampCompact(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
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
    sq.imageTimeMs = t;
    sq.targetsTimeMs = t + rng.int(40, 90) * 1000;
    t = sq.targetsTimeMs + rng.int(20, 60) * 1000;
    for (const hole of sq.holes) {
      if (!hole.collected) continue;
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
    t += rng.int(60, 180) * 1000;
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

function buildTiles(rng: Rng, ids: IdSource): AtlasTile[] {
  const tiles: AtlasTile[] = [];
  const half = ATLAS.tiles / 2;
  let index = 0;
  for (let row = 0; row < ATLAS.tiles; row++) {
    for (let col = 0; col < ATLAS.tiles; col++) {
      // Only tiles touching the round grid are acquired (a real 8×8 atlas keeps ~35 of 64).
      const dx = col + 0.5 - half;
      const dy = row + 0.5 - half;
      if (Math.hypot(dx, dy) > half - 0.35) continue;
      const x = col * ATLAS.stepX;
      const y = row * ATLAS.stepY;
      tiles.push({
        id: ids.next(9),
        index: index++,
        x,
        y,
        width: ATLAS.tileWidth,
        height: ATLAS.tileHeight,
        stageX: (x + ATLAS.tileWidth / 2 - extentX() / 2) * ATLAS.pixelSize + rng.gauss() * 1e-8,
        stageY: (y + ATLAS.tileHeight / 2 - extentY() / 2) * ATLAS.pixelSize + rng.gauss() * 1e-8,
        positionIds: [],
      });
    }
  }
  return tiles;
}

const extentX = (): number => ATLAS.stepX * (ATLAS.tiles - 1) + ATLAS.tileWidth;
const extentY = (): number => ATLAS.stepY * (ATLAS.tiles - 1) + ATLAS.tileHeight;

function buildSquares(options: Visit['options'], rng: Rng, ids: IdSource, field: QualityField, tiles: AtlasTile[]): Square[] {
  const onAtlas = Math.max(options.squares, Math.ceil(options.squares * 2.5), 12);
  const ex = extentX();
  const ey = extentY();
  const radius = Math.min(ex, ey) * 0.47;
  let pitch = Math.sqrt((Math.PI * radius * radius) / (onAtlas * 1.15));
  let cells: { x: number; y: number; d: number }[] = [];
  while (cells.length < onAtlas) {
    cells = [];
    for (let y = ey / 2 - radius; y <= ey / 2 + radius; y += pitch) {
      for (let x = ex / 2 - radius; x <= ex / 2 + radius; x += pitch) {
        const d = Math.hypot(x - ex / 2, y - ey / 2);
        if (d <= radius) cells.push({ x, y, d: d + rng.range(0, pitch) });
      }
    }
    pitch *= 0.95;
  }
  cells.sort((a, b) => a.d - b.d);
  const chosen = cells.slice(0, onAtlas).sort((a, b) => a.y - b.y || a.x - b.x);
  const squares: Square[] = chosen.map((c) => {
    const x = c.x + rng.gauss() * pitch * 0.03;
    const y = c.y + rng.gauss() * pitch * 0.03;
    const tile = nearestTile(tiles, x, y);
    const size = pitch * rng.range(0.78, 0.86);
    const id = ids.next(4);
    const tilePositionId = id + 1;
    tile.positionIds.push(tilePositionId);
    ids.next(1);
    return {
      id,
      tile,
      tilePositionId,
      atlasX: x,
      atlasY: y,
      atlasWidth: size,
      atlasHeight: size * rng.range(0.93, 1.07),
      physicalX: (x - ex / 2) * ATLAS.pixelSize,
      physicalY: (y - ey / 2) * ATLAS.pixelSize,
      stageX: (x - ex / 2) * ATLAS.pixelSize + rng.gauss() * 2e-7,
      stageY: (y - ey / 2) * ATLAS.pixelSize + rng.gauss() * 2e-7,
      stageZ: 7e-5 + rng.gauss() * 2e-6,
      rotation: rng.range(-0.45, -0.35),
      quality: field(x / ex, y / ey),
      collected: false,
      order: -1,
      collectionId: 0,
      imageTimeMs: 0,
      imageGuid: rng.guid(),
      targetsTimeMs: 0,
      holes: [],
    };
  });
  // EPU's operator picks squares of medium-to-good atlas appearance, not perfectly: a noisy ranking.
  const ranked = [...squares].sort((a, b) => b.quality + rng.gauss() * 0.25 - (a.quality + rng.gauss() * 0.25));
  for (const sq of ranked.slice(0, options.squares)) {
    sq.collected = true;
    sq.collectionId = ids.next();
    sq.holes = buildHoles(options, rng, ids, field, sq, ex, ey);
  }
  return squares;
}

function nearestTile(tiles: AtlasTile[], x: number, y: number): AtlasTile {
  let best = tiles[0];
  let bestD = Infinity;
  for (const t of tiles) {
    const d = Math.hypot(t.x + t.width / 2 - x, t.y + t.height / 2 - y);
    if (d < bestD) {
      bestD = d;
      best = t;
    }
  }
  return best;
}

function buildHoles(options: Visit['options'], rng: Rng, ids: IdSource, field: QualityField, sq: Square, ex: number, ey: number): Hole[] {
  // The metadata lists every hole EPU found; 20 % more than are collected (unselected or near the grid bar).
  const total = Math.ceil(options.holesPerSquare * 1.2);
  const side = Math.ceil(Math.sqrt(total));
  const pitch = Math.min(100, 1700 / side);
  const cx = SQUARE_IMAGE.width / 2;
  const cy = SQUARE_IMAGE.height / 2;
  const spots: { x: number; y: number; edge: number }[] = [];
  for (let r = 0; r < side + 1; r++) {
    for (let c = 0; c < side + 1; c++) {
      const x = cx + (c - side / 2 + (r % 2) * 0.5) * pitch;
      const y = cy + (r - side / 2) * pitch * 0.866;
      spots.push({ x, y, edge: Math.max(Math.abs(x - cx), Math.abs(y - cy)) });
    }
  }
  spots.sort((a, b) => a.edge - b.edge || a.y - b.y || a.x - b.x);
  const listed = spots.slice(0, total).sort((a, b) => a.y - b.y || a.x - b.x);
  const outermost = [...listed].sort((a, b) => b.edge - a.edge);
  const excluded = new Set(outermost.slice(0, total - options.holesPerSquare));
  const gradient = { u: rng.gauss() * 0.08, v: rng.gauss() * 0.08 };
  const scale = SQUARE_IMAGE.pixelSize;
  const cos = Math.cos(sq.rotation);
  const sin = Math.sin(sq.rotation);
  return listed.map((s) => {
    const dx = s.x - cx;
    const dy = s.y - cy;
    const nearGridBar = excluded.has(s) && rng.chance(0.6);
    const collected = !excluded.has(s);
    const u = (sq.atlasX + (dx / SQUARE_IMAGE.width) * sq.atlasWidth) / ex;
    const v = (sq.atlasY + (dy / SQUARE_IMAGE.height) * sq.atlasHeight) / ey;
    const quality = clamp01(
      field(u, v) + gradient.u * (dx / SQUARE_IMAGE.width) + gradient.v * (dy / SQUARE_IMAGE.height) + rng.gauss() * 0.05 - (nearGridBar ? 0.2 : 0),
    );
    return {
      id: ids.next(2),
      pixelX: Math.round(s.x + rng.gauss()),
      pixelY: Math.round(s.y + rng.gauss()),
      stageX: sq.stageX + (dx * cos - dy * sin) * scale,
      stageY: sq.stageY + (dx * sin + dy * cos) * scale,
      diameter: 51.28809 + rng.gauss() * 0.2,
      nearGridBar,
      selected: collected,
      collected,
      quality,
      findQuality: 0.6 + 0.35 * rng.next(),
      manifestTimes: [],
      manifestGuids: [],
      shots: [],
    };
  });
}
