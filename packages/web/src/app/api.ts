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

export type {
  RankingDecision as Decision,
  SuggestedSquares,
  SuggestedHoles,
  AtlasSquare,
  GridCollection,
  SquareCollection,
} from '@smartem/common';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal });
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
};
