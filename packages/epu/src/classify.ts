/**
 * Which EPU file a path is, by the path alone (no I/O), with the ids EPU encodes in directory and file names.
 * Windows (`\`) and POSIX (`/`) separators are both accepted. One classifier for the directory parse and the watcher.
 */

export type EpuFileKind = 'session' | 'atlas' | 'gridsquare-metadata' | 'gridsquare-manifest' | 'foilhole-manifest' | 'micrograph-manifest';

export interface EpuFileClass {
  kind: EpuFileKind;
  /** The path with `/` separators. */
  path: string;
  /**
   * The grid directory (the folder holding EpuSession.dm), `/`-separated, derived from the path; `''` when it is the
   * current directory of a relative path; null when the path does not say (atlas, a loose GridSquare_<id>.dm).
   */
  grid_dir: string | null;
  /** `N` of `Images-Disc<N>`. */
  images_disc?: number;
  gridsquare_id?: string;
  foilhole_id?: string;
  /** Micrographs: `<loc>` of `…_Data_<loc>_<n>_…`. */
  location_id?: string;
  /** Manifests: `<date>_<time>` of the file name, e.g. `20250108_154915` (local time of the microscope PC). */
  timestamp?: string;
}

/** Each kind's rank, parents first: the order to read files of a finished tree in (fewer orphans on the way). */
export const PARENT_FIRST_RANK: Record<EpuFileKind, number> = {
  session: 0,
  atlas: 1,
  'gridsquare-metadata': 2,
  'gridsquare-manifest': 3,
  'foilhole-manifest': 4,
  'micrograph-manifest': 5,
};

const SESSION = /(?:^|\/)EpuSession\.dm$/;
const ATLAS = /(?:^|\/)Atlas\/Atlas\.dm$/;
const GRIDSQUARE_METADATA = /(?:^|\/)GridSquare_(\d+)\.dm$/;
// `(?:(.*)\/)?` captures the grid directory before `Images-Disc<N>`.
const IMAGES = /^(?:(.*)\/)?Images-Disc(\d+)\/GridSquare_(\d+)\/(.+)$/;
const GRIDSQUARE_MANIFEST = /^GridSquare_(\d{8}_\d{6})\.xml$/;
const FOILHOLE_MANIFEST = /^FoilHoles\/FoilHole_(\d+)_(\d{8}_\d{6})\.xml$/;
// Both Data name forms: `_Data_<loc>_<n>_` (small n) and `_Data_<id>_<id+2>_`. `…_Fractions.xml` does not match.
const MICROGRAPH_MANIFEST = /^Data\/FoilHole_(\d+)_Data_(\d+)_(\d+)_(\d{8}_\d{6})\.xml$/;

export function toPosixPath(path: string): string {
  return path.replaceAll('\\', '/');
}

function parentDir(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : slash === 0 ? '/' : path.slice(0, slash);
}

export function classifyEpuPath(path: string): EpuFileClass | null {
  const p = toPosixPath(path);
  if (SESSION.test(p)) return { kind: 'session', path: p, grid_dir: parentDir(p) };
  if (ATLAS.test(p)) return { kind: 'atlas', path: p, grid_dir: null };

  const images = IMAGES.exec(p);
  if (images) {
    const [, gridDir = '', disc, gridsquareId, rest] = images as unknown as [string, string | undefined, string, string, string];
    const base = { path: p, grid_dir: gridDir, images_disc: Number(disc), gridsquare_id: gridsquareId };
    let m = GRIDSQUARE_MANIFEST.exec(rest);
    if (m) return { kind: 'gridsquare-manifest', ...base, timestamp: m[1]! };
    m = FOILHOLE_MANIFEST.exec(rest);
    if (m) return { kind: 'foilhole-manifest', ...base, foilhole_id: m[1]!, timestamp: m[2]! };
    m = MICROGRAPH_MANIFEST.exec(rest);
    if (m) return { kind: 'micrograph-manifest', ...base, foilhole_id: m[1]!, location_id: m[2]!, timestamp: m[4]! };
    return null;
  }

  const metadata = GRIDSQUARE_METADATA.exec(p);
  if (metadata) {
    const dir = parentDir(p);
    const inMetadataDir = dir === 'Metadata' || dir.endsWith('/Metadata');
    return {
      kind: 'gridsquare-metadata',
      path: p,
      grid_dir: inMetadataDir ? parentDir(dir) : null,
      gridsquare_id: metadata[1]!,
    };
  }
  return null;
}

/** The `GridSquare_<id>` directory id anywhere in a path (the original's `gridsquare_dir_pattern`). */
export function gridsquareIdFromDir(path: string): string | null {
  return /[/\\]GridSquare_(\d+)[/\\]/.exec(path)?.[1] ?? null;
}
