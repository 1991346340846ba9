// Where things are: the atlas tile mosaic, grid squares on the round grid, foil holes on a hex lattice inside each
// collected square, with pixel and stage coordinates that agree across files.
import type { Rng } from './rng.ts';
import { clamp01, type QualityField } from './quality.ts';
import type { AtlasTile, Hole, IdSource, Square, Visit } from './model.ts';

/** Atlas geometry (pixels of the atlas image, metres per pixel): an 8×8 tile mosaic as EPU acquires it. */
export const ATLAS = { tiles: 8, tileWidth: 833, tileHeight: 592, stepX: 792, stepY: 562, pixelSize: 3.41e-7 };
/** Grid square image (K3, binned): pixels and metres per pixel. */
export const SQUARE_IMAGE = { width: 2880, height: 2046, pixelSize: 4.156e-8 };

export function buildTiles(rng: Rng, ids: IdSource): AtlasTile[] {
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

export function buildSquares(options: Visit['options'], rng: Rng, ids: IdSource, field: QualityField, tiles: AtlasTile[]): Square[] {
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
      selectionRank: -1,
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
  // EPU collects the selected squares in atlas order (model.ts numbers them so); `holesBySquare` is in that order.
  const picked = new Set(ranked.slice(0, options.squares));
  const collectionIndex = new Map(squares.filter((sq) => picked.has(sq)).map((sq, k) => [sq, k]));
  for (const [rank, sq] of ranked.slice(0, options.squares).entries()) {
    sq.collected = true;
    sq.selectionRank = rank;
    sq.collectionId = ids.next();
    sq.holes = buildHoles(options.holesBySquare?.[collectionIndex.get(sq)!] ?? options.holesPerSquare, rng, ids, field, sq, ex, ey);
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

function buildHoles(holesPerSquare: number, rng: Rng, ids: IdSource, field: QualityField, sq: Square, ex: number, ey: number): Hole[] {
  // The metadata lists every hole EPU found; 20 % more than are collected (unselected or near the grid bar).
  const total = Math.ceil(holesPerSquare * 1.2);
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
  const excluded = new Set(outermost.slice(0, total - holesPerSquare));
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
      field(u, v) +
        gradient.u * (dx / SQUARE_IMAGE.width) +
        gradient.v * (dy / SQUARE_IMAGE.height) +
        rng.gauss() * 0.05 -
        (nearGridBar ? 0.2 : 0),
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
