/**
 * Whole-directory parse (as the original agent's, without its crashes): every EpuSession.dm below `root` is a grid; each
 * grid's atlas, grid-square metadata, grid-square / foil-hole / micrograph manifests are parsed (on worker threads
 * for large trees). Incomplete trees are fine: what exists is parsed, what is missing becomes a warning, a bad file
 * an error entry, and a micrograph whose foil hole is unknown an orphan.
 */
import { dirname, join, relative, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { classifyEpuPath, PARENT_FIRST_RANK, toPosixPath, type EpuFileClass, type EpuFileKind } from '../classify.ts';
import type {
  AtlasRecord,
  EpuSessionRecord,
  FoilHoleManifestRecord,
  FoilHolePosition,
  GridSquareManifestRecord,
  GridSquareMetadataRecord,
  GridSquarePosition,
  MicrographManifestRecord,
} from '../types.ts';
import { asParsedEpuFile, type EpuRecordByKind, type ParsedEpuFile } from '../parse-file.ts';
import { EntityAssembler } from '../entities/assembler.ts';
import { addContributions, type AssembledEntity } from '../entities/contribution.ts';
import { locateAtlas } from '../entities/locate-atlas.ts';
import { listFiles } from './walk.ts';
import {
  defaultWorkerCount,
  MIN_FILES_FOR_WORKERS,
  parseMany,
  startWorkers,
  stopWorkers,
  type ParseJob,
  type ParseManyOptions,
  type ParseOutcome,
} from './parse-pool.ts';

export interface GridSquareEntry {
  gridsquare_id: string;
  metadata: GridSquareMetadataRecord | null;
  manifest: GridSquareManifestRecord | null;
  /** Position on the grid's atlas, when the atlas has this square. */
  atlas_position: GridSquarePosition | null;
}

export interface FoilHoleEntry {
  id: string;
  gridsquare_id: string;
  /** From the square's metadata (`FoilHolePosition`). */
  position: FoilHolePosition | null;
  /** The latest `FoilHoles/FoilHole_<id>_<date>_<time>.xml` (by file-name timestamp). */
  manifest: FoilHoleManifestRecord | null;
}

export interface MicrographEntry {
  path: string;
  manifest: MicrographManifestRecord;
}

export interface GridEntry {
  /** Absolute grid directory. */
  grid_dir: string;
  /** Null when the directory holds EPU files but no (parsable) EpuSession.dm. */
  session: EpuSessionRecord | null;
  atlas_file: string | null;
  atlas: AtlasRecord | null;
  /** Keyed by grid square id. */
  gridsquares: Map<string, GridSquareEntry>;
  /** Keyed by `<gridsquare id>/<foil hole id>`. */
  foilholes: Map<string, FoilHoleEntry>;
  micrographs: MicrographEntry[];
}

export interface Orphan {
  path: string;
  grid_dir: string;
  gridsquare_id: string | null;
  foilhole_id: string | null;
  unique_id: string;
}

export interface EpuDirectoryParse {
  root: string;
  counts: { acquisitions: number; grids: number; atlases: number; gridsquares: number; foilholes: number; micrographs: number };
  grids: GridEntry[];
  orphans: Orphan[];
  warnings: string[];
  errors: { path: string; reason: string }[];
  /**
   * With `entities: true`: the entities the tree describes, by natural key — what `smartem agent watch` sends for the
   * same tree (the same assembler, fed every parsed file in the order the watch reads a finished tree).
   */
  entities?: Map<string, AssembledEntity>;
  /** Files and bytes parsed (for throughput figures). */
  files_parsed: number;
  bytes_parsed: number;
}

export interface ParseDirectoryOptions extends Omit<ParseManyOptions, 'prestarted'> {
  /** Also assemble the entities (`EpuDirectoryParse.entities`); off by default: 50,000 micrographs' fields cost memory. */
  entities?: boolean;
}

type EpuRecord = EpuRecordByKind[EpuFileKind];

interface Classified extends EpuFileClass {
  abs: string;
}

export async function parseEpuDirectory(root: string, options: ParseDirectoryOptions = {}): Promise<EpuDirectoryParse> {
  // Workers start while the tree is still being listed, once it is clearly big enough to need them.
  let workers: Promise<Worker[]> | undefined;
  try {
    return await parseDirectory(
      resolve(root),
      options,
      (count) => {
        if (workers || options.workers === 0 || count < (options.minFilesForWorkers ?? MIN_FILES_FOR_WORKERS)) return;
        workers = startWorkers(options.workers ?? defaultWorkerCount());
      },
      () => workers,
    );
  } finally {
    await stopWorkers(workers);
  }
}

async function parseDirectory(
  absRoot: string,
  options: ParseDirectoryOptions,
  onCount: (files: number) => void,
  prestarted: () => Promise<Worker[]> | undefined,
): Promise<EpuDirectoryParse> {
  const walk = await listFiles(absRoot, { onCount });
  const result: EpuDirectoryParse = {
    root: absRoot,
    counts: { acquisitions: 0, grids: 0, atlases: 0, gridsquares: 0, foilholes: 0, micrographs: 0 },
    grids: [],
    orphans: [],
    warnings: walk.unreadable.map((u) => `${u.path}: directory not readable (${u.reason})`),
    errors: [],
    files_parsed: 0,
    bytes_parsed: 0,
  };

  // Classified relative to the root, as the watch classifies what it sees.
  const classified: Classified[] = [];
  for (const abs of walk.files) {
    const c = classifyEpuPath(relative(absRoot, abs));
    if (c) classified.push({ ...c, abs });
  }
  const atlasFiles = classified.filter((c) => c.kind === 'atlas').map((c) => c.abs);

  // Group by grid directory. Grids are the directories holding EpuSession.dm, plus any directory whose manifests
  // have no session (an incomplete copy), so their files are still parsed.
  const byGrid = new Map<string, Classified[]>();
  for (const c of classified) {
    if (c.grid_dir === null) continue;
    const dir = c.grid_dir ? join(absRoot, ...c.grid_dir.split('/')) : absRoot;
    let list = byGrid.get(dir);
    if (!list) byGrid.set(dir, (list = []));
    list.push(c);
  }

  // Sessions first: they name the atlases.
  const gridDirs = [...byGrid.keys()].sort();
  const sessionJobs: ParseJob[] = [];
  for (const dir of gridDirs) {
    const session = byGrid.get(dir)!.find((c) => c.kind === 'session');
    if (session) sessionJobs.push({ kind: 'session', path: session.abs });
  }
  const sessionOutcomes = await parseMany(sessionJobs, { workers: 0 });
  const sessions = new Map<string, EpuSessionRecord>();
  /** Records by absolute path. */
  const parsed = new Map<string, EpuRecord>();
  sessionJobs.forEach((job, i) => {
    const o = record(result, job, sessionOutcomes[i]!);
    if (!o) return;
    sessions.set(dirname(job.path), o as EpuSessionRecord);
    parsed.set(job.path, o);
  });

  const atlasForGrid = new Map<string, string>();
  for (const dir of gridDirs) {
    const session = sessions.get(dir);
    if (!session) {
      const hasSessionFile = byGrid.get(dir)!.some((c) => c.kind === 'session');
      if (!hasSessionFile) result.warnings.push(`${dir}: EPU files without an EpuSession.dm; parsed without an acquisition`);
      continue;
    }
    if (!session.atlas_path) {
      result.warnings.push(`${dir}: EpuSession.dm names no atlas (AtlasId)`);
      continue;
    }
    const atlas = locateAtlas(dir, session.atlas_path, atlasFiles);
    if (atlas) atlasForGrid.set(dir, atlas);
    else result.warnings.push(`${dir}: atlas not found (AtlasId ${session.atlas_path_raw}); skipping atlas`);
  }

  // Everything else in one parallel pass: atlases (each once), metadata, manifests.
  const jobs: ParseJob[] = [...new Set(atlasForGrid.values())].map((path) => ({ kind: 'atlas' as EpuFileKind, path }));
  for (const dir of gridDirs) for (const c of byGrid.get(dir)!) if (c.kind !== 'session') jobs.push({ kind: c.kind, path: c.abs });
  const outcomes = await parseMany(jobs, { ...options, prestarted: prestarted() });
  jobs.forEach((job, i) => {
    const rec = record(result, job, outcomes[i]!);
    if (rec) parsed.set(job.path, rec);
  });
  const atlases = new Set<string>();
  for (const path of atlasForGrid.values()) if (parsed.has(path)) atlases.add(path);
  result.counts.atlases = atlases.size;

  for (const dir of gridDirs) {
    const atlasFile = atlasForGrid.get(dir) ?? null;
    const grid: GridEntry = {
      grid_dir: dir,
      session: sessions.get(dir) ?? null,
      atlas_file: atlasFile,
      atlas: atlasFile ? ((parsed.get(atlasFile) as AtlasRecord | undefined) ?? null) : null,
      gridsquares: new Map(),
      foilholes: new Map(),
      micrographs: [],
    };
    assembleGrid(grid, byGrid.get(dir)!, parsed, result);
    result.grids.push(grid);
    if (grid.session) result.counts.grids++;
    result.counts.gridsquares += grid.gridsquares.size;
    result.counts.foilholes += grid.foilholes.size;
    result.counts.micrographs += grid.micrographs.length;
  }
  result.counts.acquisitions = result.counts.grids > 0 ? 1 : 0;
  if (options.entities) result.entities = assembleEntities(absRoot, classified, atlasForGrid, parsed);
  return result;
}

/** Feeds every parsed file to the entity assembler, parents before children (each atlas once, when a grid uses it). */
function assembleEntities(
  absRoot: string,
  classified: Classified[],
  atlasForGrid: Map<string, string>,
  parsed: Map<string, EpuRecord>,
): Map<string, AssembledEntity> {
  const files: ParsedEpuFile[] = [];
  for (const c of classified) {
    const record = parsed.get(c.abs);
    if (record && c.kind !== 'atlas') files.push(asParsedEpuFile(c, record, c.abs));
  }
  for (const abs of new Set(atlasForGrid.values())) {
    const record = parsed.get(abs);
    const file = classifyEpuPath(relative(absRoot, abs));
    if (record && file) files.push(asParsedEpuFile(file, record, abs));
  }
  files.sort((a, b) => PARENT_FIRST_RANK[a.kind] - PARENT_FIRST_RANK[b.kind]); // as the watch's file queue reads them
  const assembler = new EntityAssembler(absRoot);
  const entities = new Map<string, AssembledEntity>();
  for (const file of files) addContributions(entities, assembler.contributions(file));
  return entities;
}

/** Books one outcome into the result; returns the record or null. */
function record(result: EpuDirectoryParse, job: ParseJob, outcome: ParseOutcome): EpuRecord | null {
  if (!outcome.ok) {
    result.errors.push({ path: job.path, reason: outcome.reason });
    return null;
  }
  result.files_parsed++;
  result.bytes_parsed += outcome.bytes;
  return outcome.record;
}

function assembleGrid(grid: GridEntry, files: Classified[], parsed: Map<string, EpuRecord>, result: EpuDirectoryParse): void {
  const square = (id: string): GridSquareEntry => {
    let entry = grid.gridsquares.get(id);
    if (!entry) {
      entry = { gridsquare_id: id, metadata: null, manifest: null, atlas_position: grid.atlas?.gridsquare_positions[id] ?? null };
      grid.gridsquares.set(id, entry);
    }
    return entry;
  };
  const hole = (gs: string, id: string): FoilHoleEntry => {
    const key = `${gs}/${id}`;
    let entry = grid.foilholes.get(key);
    if (!entry) grid.foilholes.set(key, (entry = { id, gridsquare_id: gs, position: null, manifest: null }));
    return entry;
  };

  // Every square on the atlas, as the original (targeted or not).
  if (grid.atlas) for (const id of Object.keys(grid.atlas.gridsquare_positions)) square(id);

  const has = (kind: EpuFileKind): boolean => files.some((c) => c.kind === kind);
  if (grid.session && !has('gridsquare-metadata'))
    result.warnings.push(`${grid.grid_dir}: no Metadata/GridSquare_<id>.dm files (foil hole positions unknown)`);
  if (grid.session && !files.some((c) => c.images_disc !== undefined))
    result.warnings.push(`${grid.grid_dir}: no Images-Disc<N> manifests`);

  // Metadata before manifests (so a square's manifest can tell whether its metadata exists).
  const ordered = [...files.filter((c) => c.kind === 'gridsquare-metadata'), ...files.filter((c) => c.kind !== 'gridsquare-metadata')];
  for (const c of ordered) {
    const rec = parsed.get(c.abs);
    if (!rec) continue;
    switch (c.kind) {
      case 'gridsquare-metadata': {
        const metadata = rec as GridSquareMetadataRecord;
        const gs = square(c.gridsquare_id!);
        gs.metadata = metadata;
        for (const [id, position] of Object.entries(metadata.foilhole_positions)) hole(c.gridsquare_id!, id).position = position;
        break;
      }
      case 'gridsquare-manifest':
        square(c.gridsquare_id!).manifest = rec as GridSquareManifestRecord;
        if (!grid.gridsquares.get(c.gridsquare_id!)?.metadata && !grid.atlas?.gridsquare_positions[c.gridsquare_id!]) {
          result.warnings.push(`${c.abs}: grid square ${c.gridsquare_id} has a manifest but no Metadata/GridSquare_${c.gridsquare_id}.dm`);
        }
        break;
      case 'foilhole-manifest': {
        const fh = hole(c.gridsquare_id!, c.foilhole_id!);
        square(c.gridsquare_id!);
        const manifest = rec as FoilHoleManifestRecord;
        if (!fh.manifest || (fh.manifest.file_timestamp ?? '') <= (manifest.file_timestamp ?? '')) fh.manifest = manifest;
        break;
      }
      default:
        break;
    }
  }
  for (const c of files) {
    if (c.kind !== 'micrograph-manifest') continue;
    const manifest = parsed.get(c.abs) as MicrographManifestRecord | undefined;
    if (!manifest) continue;
    grid.micrographs.push({ path: c.abs, manifest });
    if (!grid.foilholes.has(`${c.gridsquare_id}/${c.foilhole_id}`)) {
      result.orphans.push({
        path: c.abs,
        grid_dir: grid.grid_dir,
        gridsquare_id: c.gridsquare_id ?? null,
        foilhole_id: c.foilhole_id ?? null,
        unique_id: manifest.unique_id,
      });
    }
  }
  if (grid.session) {
    const instrument =
      [...grid.gridsquares.values()].find((g) => g.manifest?.instrument)?.manifest?.instrument ??
      [...grid.foilholes.values()].find((f) => f.manifest?.instrument)?.manifest?.instrument ??
      grid.micrographs.find((m) => m.manifest.instrument)?.manifest.instrument ??
      null;
    grid.session = { ...grid.session, instrument: grid.session.instrument ?? instrument };
  }
}

/** The grid directory relative to the parse root (POSIX), for display. */
export function relativeGridDir(parse: EpuDirectoryParse, grid: GridEntry): string {
  return toPosixPath(relative(parse.root, grid.grid_dir)) || '.';
}
