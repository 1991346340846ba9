// What the backend holds for one simulated visit, compared with what the simulator wrote.
import { SmartEmClient } from '@smartem/client';
import type { EntityRecord } from '@smartem/common';
import type { GeneratedVisit } from '@smartem/epu-sim';

export interface VisitInBackend {
  acquisitions: string[];
  grids: string[];
  /** Sorted natural ids (duplicates would show twice). */
  gridsquares: string[];
  foilholes: string[];
  micrographs: string[];
}

function sorted(values: string[]): string[] {
  return [...values].sort();
}

/** The visit's entities as the simulator knows them, in the same shape. */
export function expectedFromVisit(visit: GeneratedVisit): VisitInBackend {
  return {
    acquisitions: ['1'],
    grids: sorted(visit.grids.map((g) => g.dir)),
    gridsquares: sorted(visit.grids.flatMap((g) => g.gridSquareIds.map((id) => `${g.dir}|${id}`))),
    foilholes: sorted(visit.grids.flatMap((g) => g.foilHoleIds.map((id) => `${g.dir}|${id}`))),
    micrographs: sorted(visit.grids.flatMap((g) => g.micrographIds.map((id) => `${g.dir}|${id}`))),
  };
}

/** Walks the backend from the grids whose data_dir is inside `root` down to the micrographs. */
export async function visitInBackend(url: string, root: string): Promise<VisitInBackend> {
  const client = new SmartEmClient({ baseUrl: url, timeoutMs: 60_000, retries: 2 });
  const squaresOf = (grid: string) => client.http.request<EntityRecord<'gridsquare'>[]>('GET', `grids/${grid}/gridsquares`);
  const holesOf = (square: string) => client.http.request<EntityRecord<'foilhole'>[]>('GET', `gridsquares/${square}/foilholes`);
  const grids = (await client.list('grid')).filter((g) => String(g.data_dir).startsWith(root));
  const acquisitions = new Set(grids.map((g) => String(g.acquisition_uuid)));
  const out: VisitInBackend = {
    acquisitions: acquisitions.size ? [String(acquisitions.size)] : [],
    grids: [],
    gridsquares: [],
    foilholes: [],
    micrographs: [],
  };
  const holeGrid = new Map<string, string>();
  for (const grid of grids) {
    const dir = String(grid.data_dir);
    out.grids.push(dir);
    const squares = await squaresOf(grid.uuid);
    const holesBySquare = await Promise.all(squares.map((s) => holesOf(s.uuid)));
    for (const s of squares) out.gridsquares.push(`${dir}|${String(s.gridsquare_id)}`);
    for (const hole of holesBySquare.flat()) {
      out.foilholes.push(`${dir}|${String(hole.foilhole_id)}`);
      holeGrid.set(hole.uuid, dir);
    }
  }
  for (const m of await client.list('micrograph')) {
    const dir = holeGrid.get(String(m.foilhole_uuid));
    if (dir) out.micrographs.push(`${dir}|${String(m.micrograph_id)}`);
  }
  for (const k of ['grids', 'gridsquares', 'foilholes', 'micrographs'] as const) out[k] = sorted(out[k]);
  return out;
}

/** Polls until the backend holds at least as many entities as expected (or the deadline); returns the last reading. */
export async function waitForVisit(url: string, expected: VisitInBackend, root: string, timeoutMs = 240_000): Promise<VisitInBackend> {
  const deadline = Date.now() + timeoutMs;
  let last: VisitInBackend | undefined;
  for (;;) {
    try {
      last = await visitInBackend(url, root);
      const enough = (['grids', 'gridsquares', 'foilholes', 'micrographs'] as const).every((k) => last![k].length >= expected[k].length);
      if (enough) return last;
    } catch {
      // the backend is restarting
    }
    if (Date.now() > deadline && last) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
}
