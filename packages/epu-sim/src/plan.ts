// The file plan: every directory and file EPU writes during the visit, with the (simulated) time it is written.
// `generate` writes the final version of every path at once; `play` writes the plan in time order.
import { fileStamp } from './xml/dotnet.ts';
import { epuSessionXml, storageFolder } from './xml/session.ts';
import { atlasXml, tileBaseName } from './xml/atlas.ts';
import { gridSquareStubXml, gridSquareTargetsXml } from './xml/gridsquare-metadata.ts';
import { microscopeImageXml, type MicroscopeImageFields } from './xml/microscope-image.ts';
import { previewJpeg } from './jpeg.ts';
import type { Grid, Hole, Square, Visit } from './model.ts';

export type PlanKind =
  | 'session'
  | 'atlas'
  | 'tile'
  | 'gridsquare-metadata'
  | 'gridsquare-manifest'
  | 'foilhole-manifest'
  | 'micrograph-manifest'
  | 'preview';

export interface PlanDir {
  type: 'dir';
  timeMs: number;
  /** Relative to the output root, `/`-separated. */
  path: string;
}

export interface PlanFile {
  type: 'file';
  timeMs: number;
  path: string;
  kind: PlanKind;
  /** Built on demand so a 50,000-micrograph plan does not hold every document in memory. */
  content: () => string | Buffer;
  /** True for the first version of a file EPU rewrites later (session without squares, square stubs). */
  superseded?: boolean;
  /** For a micrograph manifest: the foil hole and the manifest's unique id (the micrograph's natural id). */
  micrograph?: { holeId: number; uniqueId: string };
  /** The play waits until this file is on disk before going on (EPU writes a square's targets, then asks about them). */
  flush?: boolean;
}

export type PlanEntry = PlanDir | PlanFile;

export interface GridPaths {
  dir: string;
  atlasDm: string;
}

export function gridPaths(visit: Visit, grid: Grid): GridPaths {
  return { dir: grid.dirName, atlasDm: `${atlasSampleDir(visit, grid)}/Atlas/Atlas.dm` };
}

function atlasSampleDir(visit: Visit, grid: Grid): string {
  return `atlas/${visit.atlasDirName}/Sample${grid.slot}`;
}

/** Sub-millisecond digits for a timestamp, derived from an id so they are stable. */
const ticks = (n: number): number => (n * 7919) % 10_000;

function image(kind: MicroscopeImageFields['kind'], f: Omit<MicroscopeImageFields, 'kind' | 'ticks' | 'jitter'>, salt: number): string {
  return microscopeImageXml({ kind, ticks: ticks(salt), jitter: ((salt * 2654435761) >>> 0) / 4294967296, ...f });
}

/**
 * The whole plan, sorted by time (stable: entries at the same time keep their EPU order). `squares: false` leaves
 * out what is written while squares are collected (their images, targets and holes): up to square selection only.
 */
export function buildPlan(visit: Visit, opts: { squares?: boolean } = {}): PlanEntry[] {
  const entries: PlanEntry[] = [];
  const storage = storageFolder(visit);
  for (const grid of visit.grids) {
    atlasEntries(visit, grid, entries);
    sessionEntries(visit, grid, storage, entries);
    if (opts.squares ?? true) for (const sq of grid.squares) if (sq.collected) squareEntries(visit, grid, sq, entries);
  }
  return byTime(entries);
}

function byTime(entries: PlanEntry[]): PlanEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.timeMs - b.e.timeMs || a.i - b.i)
    .map(({ e }) => e);
}

/** A collected square's image (its folder, manifest and preview) and its target folders, sorted by time. */
export function squareImageEntries(grid: Grid, sq: Square): PlanEntry[] {
  const out: PlanEntry[] = [];
  squareImage(grid, sq, out);
  return byTime(out);
}

/**
 * A square's targets as hole finding leaves them, no hole imaged yet: what EPU has written when it asks for the square's
 * hole decisions (rendered now; `squareHoleEntries` rewrites it once holes are collected).
 */
export function squareTargetsEntry(visit: Visit, grid: Grid, sq: Square): PlanFile {
  const collected = sq.holes.map((h) => h.collected);
  for (const h of sq.holes) h.collected = false;
  const content = gridSquareTargetsXml(sq, storageFolder(visit), grid);
  sq.holes.forEach((h, i) => (h.collected = collected[i]));
  return {
    type: 'file',
    timeMs: sq.targetsTimeMs,
    path: squareMetadataPath(grid, sq),
    kind: 'gridsquare-metadata',
    superseded: true,
    flush: true,
    content: () => content,
  };
}

/** One hole's files (manifests, then its exposures), in time order: for a square collected hole by hole. */
export function holeFileEntries(grid: Grid, sq: Square, hole: Hole): PlanEntry[] {
  const out: PlanEntry[] = [];
  holeEntries(sq, hole, squareDir(grid, sq), out);
  return byTime(out);
}

/** The square's metadata rewritten once its holes are collected (which were collected, which deselected), at `timeMs`. */
export function squareCollectedEntry(visit: Visit, grid: Grid, sq: Square, timeMs: number): PlanFile {
  return {
    type: 'file',
    timeMs,
    path: squareMetadataPath(grid, sq),
    kind: 'gridsquare-metadata',
    content: () => gridSquareTargetsXml(sq, storageFolder(visit), grid),
  };
}

function squareMetadataPath(grid: Grid, sq: Square): string {
  return `${grid.dirName}/Metadata/GridSquare_${sq.id}.dm`;
}

/** A collected square's targets metadata and its collected holes, sorted by time (after `squareImageEntries`). */
export function squareHoleEntries(visit: Visit, grid: Grid, sq: Square): PlanEntry[] {
  const out: PlanEntry[] = [];
  squareHoles(grid, sq, storageFolder(visit), out);
  return byTime(out);
}

function atlasEntries(visit: Visit, grid: Grid, out: PlanEntry[]): void {
  const sample = atlasSampleDir(visit, grid);
  const t0 = grid.atlasTimeMs;
  out.push({ type: 'dir', timeMs: t0, path: sample }, { type: 'dir', timeMs: t0, path: `${sample}/Atlas` });
  if (visit.options.atlas) {
    grid.tiles.forEach((tile, i) => {
      const t = t0 + 30_000 + i * 25_000;
      const base = `${sample}/Atlas/${tileBaseName(tile, grid)}`;
      const fields = {
        uniqueId: guidFrom(tile.id, 1),
        coreGuid: guidFrom(tile.id, 2),
        timeMs: t,
        stage: { x: tile.stageX, y: tile.stageY, z: 7e-5 },
        defocus: -0.001,
        appliedDefocus: -0.001,
      };
      out.push({ type: 'file', timeMs: t, path: `${base}.xml`, kind: 'tile', content: () => image('Tile', fields, tile.id) });
      out.push({ type: 'file', timeMs: t, path: `${base}.jpg`, kind: 'preview', content: () => previewJpeg(0.5, tile.index) });
    });
  }
  out.push({
    type: 'file',
    timeMs: t0 + 40 * 60_000,
    path: `${sample}/Atlas/Atlas.dm`,
    kind: 'atlas',
    content: () => atlasXml(visit, grid),
  });
}

function sessionEntries(visit: Visit, grid: Grid, storage: string, out: PlanEntry[]): void {
  const dir = grid.dirName;
  const t0 = grid.startMs;
  out.push({ type: 'dir', timeMs: t0, path: dir });
  out.push({
    type: 'file',
    timeMs: t0,
    path: `${dir}/EpuSession.dm`,
    kind: 'session',
    superseded: true,
    content: () => epuSessionXml(visit, grid, false),
  });
  out.push({ type: 'dir', timeMs: t0 + 1000, path: `${dir}/Metadata` }, { type: 'dir', timeMs: t0 + 1000, path: `${dir}/Images-Disc1` });
  // Square selection on the atlas: the session file is rewritten and every square gets its stub, in one burst.
  const tSelect = t0 + 5 * 60_000;
  out.push({
    type: 'file',
    timeMs: tSelect,
    path: `${dir}/EpuSession.dm`,
    kind: 'session',
    content: () => epuSessionXml(visit, grid, true),
  });
  for (const sq of grid.squares) {
    out.push({
      type: 'file',
      timeMs: tSelect,
      path: `${dir}/Metadata/GridSquare_${sq.id}.dm`,
      kind: 'gridsquare-metadata',
      superseded: sq.collected,
      content: () => gridSquareStubXml(sq, storage, grid),
    });
  }
}

function squareDir(grid: Grid, sq: Square): string {
  return `${grid.dirName}/Images-Disc1/GridSquare_${sq.id}`;
}

function squareEntries(visit: Visit, grid: Grid, sq: Square, out: PlanEntry[]): void {
  squareImage(grid, sq, out);
  squareHoles(grid, sq, storageFolder(visit), out);
}

function squareImage(grid: Grid, sq: Square, out: PlanEntry[]): void {
  const dir = squareDir(grid, sq);
  const t = sq.imageTimeMs;
  out.push({ type: 'dir', timeMs: t, path: dir });
  const base = `${dir}/GridSquare_${fileStamp(t)}`;
  const fields = {
    uniqueId: sq.imageGuid,
    coreGuid: guidFrom(sq.id, 3),
    timeMs: t,
    stage: { x: sq.stageX, y: sq.stageY, z: sq.stageZ },
    defocus: -5e-5,
    appliedDefocus: -5e-5,
  };
  out.push({
    type: 'file',
    timeMs: t,
    path: `${base}.xml`,
    kind: 'gridsquare-manifest',
    content: () => image('GridSquare', fields, sq.id),
  });
  out.push({ type: 'file', timeMs: t, path: `${base}.jpg`, kind: 'preview', content: () => previewJpeg(sq.quality, sq.id) });
  out.push(
    { type: 'dir', timeMs: sq.targetsTimeMs, path: `${dir}/FoilHoles` },
    { type: 'dir', timeMs: sq.targetsTimeMs, path: `${dir}/Data` },
  );
}

function squareHoles(grid: Grid, sq: Square, storage: string, out: PlanEntry[]): void {
  const dir = squareDir(grid, sq);
  // On some squares EPU's metadata rewrite lands after the first foil hole images: children before their parent.
  const firstTime = Math.min(...sq.holes.filter((h) => h.collected && h.manifestTimes.length > 0).map((h) => h.manifestTimes[0]));
  const late = sq.id % 3 === 0 && Number.isFinite(firstTime);
  const metadataTime = late ? firstTime + 1500 : sq.targetsTimeMs;
  out.push({
    type: 'file',
    timeMs: metadataTime,
    path: squareMetadataPath(grid, sq),
    kind: 'gridsquare-metadata',
    content: () => gridSquareTargetsXml(sq, storage, grid),
  });
  for (const hole of sq.holes) if (hole.collected) holeEntries(sq, hole, dir, out);
}

function holeEntries(sq: Square, hole: Hole, dir: string, out: PlanEntry[]): void {
  hole.manifestTimes.forEach((t, k) => {
    const base = `${dir}/FoilHoles/FoilHole_${hole.id}_${fileStamp(t)}`;
    const fields: Omit<MicroscopeImageFields, 'kind' | 'ticks' | 'jitter'> = {
      uniqueId: hole.manifestGuids[k],
      coreGuid: guidFrom(hole.id, 4 + k),
      timeMs: t,
      stage: { x: hole.stageX, y: hole.stageY, z: sq.stageZ },
      defocus: -2e-5,
      appliedDefocus: -2e-5,
      holeFinding: {
        x: 1440 + ((hole.id * 37) % 140) - 70,
        y: 1023 + ((hole.id * 53) % 140) - 70,
        quality: hole.findQuality,
        rotation: -3.086187417975387,
        size: 770 + ((hole.id * 11) % 6),
      },
    };
    out.push({
      type: 'file',
      timeMs: t,
      path: `${base}.xml`,
      kind: 'foilhole-manifest',
      content: () => image('FoilHole', fields, hole.id + k),
    });
    out.push({ type: 'file', timeMs: t, path: `${base}.jpg`, kind: 'preview', content: () => previewJpeg(hole.quality, hole.id + k) });
  });
  for (const shot of hole.shots) {
    const base = `${dir}/Data/FoilHole_${hole.id}_Data_${shot.areaId}_${shot.n}_${fileStamp(shot.timeMs)}`;
    const fields = {
      uniqueId: shot.uniqueId,
      coreGuid: shot.guid,
      timeMs: shot.timeMs,
      stage: { x: hole.stageX, y: hole.stageY, z: sq.stageZ },
      defocus: shot.defocus,
      appliedDefocus: shot.appliedDefocus,
    };
    out.push({
      type: 'file',
      timeMs: shot.timeMs,
      path: `${base}.xml`,
      kind: 'micrograph-manifest',
      micrograph: { holeId: hole.id, uniqueId: shot.uniqueId },
      content: () => image('Data', fields, hole.id ^ shot.areaId),
    });
    out.push({
      type: 'file',
      timeMs: shot.timeMs,
      path: `${base}.jpg`,
      kind: 'preview',
      content: () => previewJpeg(hole.quality, shot.areaId),
    });
  }
}

/** A stable GUID-shaped id from a number (for ids that need no randomness of their own). */
function guidFrom(n: number, salt: number): string {
  let h = (n * 2654435761 + salt * 40503) >>> 0;
  let s = '';
  for (let i = 0; i < 32; i++) {
    h = (Math.imul(h ^ (h >>> 15), 2246822507) + i) >>> 0;
    s += (h & 15).toString(16);
  }
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
}
