/** The backend's API as the dashboard reads it (same origin: the backend serves the dashboard under /ui/). */
import type * as Wire from '@smartem/common';

/**
 * `@smartem/common`'s record types with its non-nullable fields repaired: `required(...)` fields come out as `never`
 * there, but the API sends them (ids as strings; the one required flag, `is_near_grid_bar`, as a boolean).
 */
type Sent<T> = { [K in keyof T]: [T[K]] extends [never] ? (K extends 'is_near_grid_bar' ? boolean : string) : T[K] };
export type Acquisition = Sent<Wire.Acquisition>;
export type Grid = Sent<Wire.Grid>;
export type GridSquare = Sent<Wire.GridSquare>;
export type FoilHole = Sent<Wire.FoilHole>;
export type Micrograph = Sent<Wire.Micrograph>;

export type Decision = 'collect' | 'skip';

export interface SuggestedSquares {
  grid_uuid: string;
  authority: string;
  micrographs: number;
  foilholes_with_quality: number;
  squares: Array<{
    gridsquare_uuid: string;
    gridsquare_id: string;
    rank: number;
    score: number;
    expected_good_holes: number;
    remaining_holes: number;
    decision: Decision;
  }>;
}

export interface SuggestedHoles {
  gridsquare_uuid: string;
  grid_uuid: string;
  authority: string;
  holes: Array<{ foilhole_uuid: string; foilhole_id: string; rank: number; probability_good: number; decision: Decision }>;
}

/** A grid square as the atlas needs it: its atlas position and what has been collected there. */
export interface AtlasSquare {
  gridsquare_uuid: string;
  gridsquare_id: string;
  center_x: number | null;
  center_y: number | null;
  size_width: number | null;
  size_height: number | null;
  unusable: boolean | null;
  foilholes: number;
  micrographs: number;
  with_ctf: number;
  good: number;
  mean_ctf: number | null;
  last_acquired: string | null;
}

export interface AtlasTile {
  uuid: string;
  position_x: number | null;
  position_y: number | null;
  size_x: number | null;
  size_y: number | null;
}

export interface GridCollection {
  grid_uuid: string;
  ctf_max_resolution: number;
  squares: AtlasSquare[];
  micrographs: { t: number[]; ctf: number[] };
}

export interface SquareCollection {
  gridsquare_uuid: string;
  ctf_max_resolution: number;
  holes: Array<{
    foilhole_uuid: string;
    micrographs: number;
    mean_ctf: number | null;
    mean_total_motion: number | null;
    particles_picked: number | null;
  }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads `index.html` started before the bundle loaded, by path; each is used once (by the first page to ask). */
function prefetched(path: string): Promise<Response> | undefined {
  const started = (window as { __smartemPrefetch?: Record<string, Promise<Response>> }).__smartemPrefetch;
  const response = started?.[path];
  if (response) delete started[path];
  return response;
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await (prefetched(path) ?? fetch(path, { headers: { accept: 'application/json' }, signal }));
  if (!res.ok) {
    let detail = res.statusText;
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? detail;
    } catch {
      // not a problem document
    }
    throw new ApiError(res.status, `${path}: ${res.status} ${detail}`);
  }
  return (await res.json()) as T;
}

/** Like `get`, but a failed read (e.g. no ranking yet) is `null` instead of an error. */
export async function getOptional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await get<T>(path, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    return null;
  }
}

const enc = encodeURIComponent;
export const paths = {
  acquisitions: () => '/acquisitions',
  acquisitionGrids: (a: string) => `/acquisitions/${enc(a)}/grids`,
  grid: (g: string) => `/grids/${enc(g)}`,
  gridCollection: (g: string) => `/grids/${enc(g)}/collection`,
  suggestedSquares: (g: string) => `/grids/${enc(g)}/suggested_squares`,
  gridSquare: (s: string) => `/gridsquares/${enc(s)}`,
  foilHoles: (s: string) => `/gridsquares/${enc(s)}/foilholes`,
  squareCollection: (s: string) => `/gridsquares/${enc(s)}/collection`,
  suggestedHoles: (s: string) => `/gridsquares/${enc(s)}/suggested_holes`,
  micrographs: (h: string) => `/foilholes/${enc(h)}/micrographs`,
  gridAtlas: (g: string) => `/grids/${enc(g)}/atlas`,
  atlasTiles: (a: string) => `/atlases/${enc(a)}/tiles`,
  /** An entity's preview JPEG (`kind`: atlastile, gridsquare, foilhole, micrograph). */
  image: (kind: string, uuid: string) => `/images/${kind}/${enc(uuid)}`,
};

/** A decoded preview and the size in pixels of the full image it shows (`X-Frame-*`), when the backend knows it. */
export interface Preview {
  bitmap: ImageBitmap;
  frame: { width: number; height: number } | null;
}

/** The preview of an entity, decoded off the main thread; null when it has none (404) or it does not decode. */
export async function getPreview(kind: string, uuid: string, signal?: AbortSignal): Promise<Preview | null> {
  try {
    const res = await fetch(paths.image(kind, uuid), { signal });
    if (!res.ok) return null;
    const width = Number(res.headers.get('x-frame-width'));
    const height = Number(res.headers.get('x-frame-height'));
    const bitmap = await createImageBitmap(await res.blob());
    return { bitmap, frame: width > 0 && height > 0 ? { width, height } : null };
  } catch (err) {
    if (signal?.aborted) throw err;
    return null;
  }
}
