/** The backend's API as the dashboard reads it (same origin: the backend serves the dashboard under /ui/). */
import type * as Wire from '@smartem/common';
import { authHeaders, renewSession } from './auth.ts';
import { prefetched } from './prefetch.ts';

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
  GridOverview,
  SquareCollection,
} from '@smartem/common';
export type AtlasTile = Sent<Wire.AtlasTile>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request with the signed-in user's token (renewed and the request made again once when the API answers 401); a
 * failure is an ApiError with the problem document's detail.
 */
async function request<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const send = () => {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method, headers, signal, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  };
  const early = method === 'GET' ? await prefetched(path)?.catch(() => undefined) : undefined;
  // A read started early went without a token: when it was refused, it is made again with one.
  let res = early?.ok === true ? early : await send();
  if (res.status === 401 && (await renewSession())) res = await send();
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

export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, undefined, signal);
}

export function post<T>(path: string, body?: unknown): Promise<T> {
  return request<T>('POST', path, body);
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
  gridOverview: (g: string) => `/grids/${enc(g)}/overview`,
  suggestedSquares: (g: string) => `/grids/${enc(g)}/suggested_squares`,
  atlasRanking: (g: string) => `/grids/${enc(g)}/overview/ranking`,
  gridSquare: (s: string) => `/gridsquares/${enc(s)}`,
  foilHoles: (s: string) => `/gridsquares/${enc(s)}/foilholes`,
  squareCollection: (s: string) => `/gridsquares/${enc(s)}/collection`,
  suggestedHoles: (s: string) => `/gridsquares/${enc(s)}/suggested_holes`,
  micrographs: (h: string) => `/foilholes/${enc(h)}/micrographs`,
  agents: () => '/agents',
  sessionInstructions: (agent: string, session: string, status?: string) =>
    `/agent/${enc(agent)}/session/${enc(session)}/instructions${status ? `?status=${enc(status)}` : ''}`,
  decide: (instruction: string, action: 'approve' | 'decline') => `/instructions/${enc(instruction)}/${action}`,
  operatorInstruction: () => '/instructions',
  gridAtlas: (g: string) => `/grids/${enc(g)}/atlas`,
  atlasTiles: (a: string) => `/atlases/${enc(a)}/tiles`,
  /** An entity's preview JPEG (`kind`: atlastile, gridsquare, foilhole, micrograph). */
  image: (kind: string, uuid: string) => `/images/${kind}/${enc(uuid)}`,
};

/** What the atlas page draws of a square's ranking (`suggested_squares` without the score and hole counts). */
export type RankedSquare = Omit<Wire.SuggestedSquare, 'score' | 'observed_holes'>;
export interface Ranking {
  authority: string;
  squares: RankedSquare[];
}

/** The atlas page's ranking of a grid's squares (read in its compact form), or null when there is none. */
export async function getRanking(gridUuid: string, signal?: AbortSignal): Promise<Ranking | null> {
  const compact = await getOptional<Wire.AtlasRanking>(paths.atlasRanking(gridUuid), signal);
  if (!compact) return null;
  const c = compact.squares;
  const opt = (v: number | null | undefined) => (v === null || v === undefined ? undefined : v);
  return {
    authority: compact.authority,
    squares: c.gridsquare_uuid.map((uuid, k) => ({
      gridsquare_uuid: uuid,
      gridsquare_id: c.gridsquare_id[k]!,
      rank: k + 1,
      decision: c.collect[k] ? 'collect' : 'skip',
      expected_good_holes: c.expected_good_holes[k]!,
      remaining_holes: c.remaining_holes[k]!,
      p_good_mean: opt(c.p_good_mean[k]),
      p_good_low: opt(c.p_good_low[k]),
      p_good_high: opt(c.p_good_high[k]),
      observed_good_share: opt(c.observed_good_share[k]),
    })),
  };
}

/** A decoded preview and the size in pixels of the full image it shows (`X-Frame-*`), when the backend knows it. */
export interface Preview {
  bitmap: ImageBitmap;
  frame: { width: number; height: number } | null;
}

/** The preview of an entity, decoded off the main thread; null when it has none (404) or it does not decode. */
export async function getPreview(kind: string, uuid: string, signal?: AbortSignal): Promise<Preview | null> {
  try {
    const res = await fetch(paths.image(kind, uuid), { headers: authHeaders(), signal });
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
