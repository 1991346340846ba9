import { createHash } from 'node:crypto';
import { CsvFileError, readCsvFile, withHeader } from '@smartem/common/csv';
import { basename } from 'node:path';
import { api, type Transport } from './transport.ts';

/**
 * Replays real processing results (EMinsight's per-micrograph `*_data_structure.csv`) into a running backend: makes
 * sure the session's grid squares, foil holes and micrographs exist (batch upserts, idempotent by natural id, so a
 * grid the agent already synced is reused with `--grid`), then sends motion correction, CTF and particle picking
 * results in acquisition order.
 */
export interface ReplayRow {
  line: number;
  square: string;
  hole: string;
  micrograph: string;
  time?: string;
  totalMotion?: number;
  ctf?: number;
  particles?: number;
}

const REQUIRED = ['GridSquare_name', 'DataAcquisition_name', 'TimeStamp', 'rlnAccumMotionTotal', 'rlnCtfMaxResolution', 'n_particles'];

export async function readReplayCsv(path: string): Promise<ReplayRow[]> {
  const { column: col, rows } = withHeader(await readCsvFile(path), path, REQUIRED);
  const num = (cells: string[], name: string, line: number): number | undefined => {
    const raw = cells[col[name]] ?? '';
    if (raw === '' || raw.toLowerCase() === 'nan') return undefined;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0)
      throw new CsvFileError(path, line, col[name] + 1, `${name} must be a non-negative number, got "${raw}"`);
    return v;
  };
  return rows.map(({ line, cells }) => {
    const square = /^GridSquare_(\d+)$/.exec(cells[col.GridSquare_name] ?? '')?.[1];
    const micrograph = cells[col.DataAcquisition_name] ?? '';
    const hole = /^FoilHole_(\d+)_Data_/.exec(micrograph)?.[1];
    if (!square) throw new CsvFileError(path, line, col.GridSquare_name + 1, 'GridSquare_name must look like GridSquare_<id>');
    if (!hole) throw new CsvFileError(path, line, col.DataAcquisition_name + 1, 'DataAcquisition_name must look like FoilHole_<id>_Data_…');
    const particles = num(cells, 'n_particles', line);
    return {
      line,
      square,
      hole,
      micrograph,
      time: cells[col.TimeStamp] || undefined,
      totalMotion: num(cells, 'rlnAccumMotionTotal', line),
      ctf: num(cells, 'rlnCtfMaxResolution', line),
      particles: particles === undefined ? undefined : Math.round(particles),
    };
  });
}

/** A stable uuid from a name, so replaying twice addresses the same rows. */
function uuidFor(name: string): string {
  const h = createHash('sha1').update(`smartem-replay:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface BatchResult {
  results: Array<{ requested_uuid: string; uuid: string; outcome: string; detail?: string }>;
}

async function upsert(base: string, route: string, items: Array<Record<string, unknown>>): Promise<Map<string, string>> {
  const adopted = new Map<string, string>();
  for (let i = 0; i < items.length; i += 5000) {
    const out = await api<BatchResult>(base, 'POST', `/batch/${route}`, { items: items.slice(i, i + 5000) });
    for (const r of out.results) {
      if (r.outcome === 'rejected') throw new Error(`POST /batch/${route}: ${r.requested_uuid} rejected: ${r.detail ?? ''}`);
      adopted.set(r.requested_uuid, r.uuid);
    }
  }
  return adopted;
}

export interface ReplayOptions {
  csv: string;
  api: string;
  transport: Transport;
  /** Existing grid to replay into (squares, holes matched by EPU id); else a grid named after the session is made. */
  grid?: string;
  limit?: number;
  delayMs: number;
  progress: (line: string) => void;
}

export interface ReplaySummary {
  grid_uuid: string;
  micrographs: number;
  messages: number;
  outcomes: Record<string, number>;
}

export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  // The whole session's squares and holes exist up front (as after EPU's atlas and square survey); only the
  // replayed micrographs are made, so a replay with --limit leaves holes still to collect for the rankings.
  const sessionRows = (await readReplayCsv(o.csv)).sort((a, b) => (a.time ?? '').localeCompare(b.time ?? '') || a.line - b.line);
  const rows = sessionRows.slice(0, o.limit);
  const session = basename(o.csv).replace(/_data_structure\.csv$/, '');
  let gridUuid = o.grid;
  if (gridUuid) await api(o.api, 'GET', `/grids/${encodeURIComponent(gridUuid)}`);
  else {
    const acq = uuidFor(`acquisition:${session}`);
    gridUuid = uuidFor(`grid:${session}`);
    await upsert(o.api, 'acquisitions', [{ uuid: acq, id: session, name: session }]);
    await upsert(o.api, 'grids', [{ uuid: gridUuid, name: session, acquisition_uuid: acq }]);
  }
  const squareIds = [...new Set(sessionRows.map((r) => r.square))];
  const squares = await upsert(
    o.api,
    'gridsquares',
    squareIds.map((id) => ({ uuid: uuidFor(`${gridUuid}:gs:${id}`), gridsquare_id: id, grid_uuid: gridUuid })),
  );
  const squareUuid = (id: string): string => squares.get(uuidFor(`${gridUuid}:gs:${id}`))!;
  const holeKeys = [...new Map(sessionRows.map((r) => [r.hole, r.square])).entries()];
  const holes = await upsert(
    o.api,
    'foilholes',
    holeKeys.map(([hole, square]) => ({
      uuid: uuidFor(`${gridUuid}:fh:${hole}`),
      foilhole_id: hole,
      gridsquare_uuid: squareUuid(square),
      gridsquare_id: square,
    })),
  );
  const holeUuid = (id: string): string => holes.get(uuidFor(`${gridUuid}:fh:${id}`))!;
  const mics = await upsert(
    o.api,
    'micrographs',
    rows.map((r) => ({
      uuid: uuidFor(`${gridUuid}:mic:${r.micrograph}`),
      micrograph_id: r.micrograph,
      foilhole_uuid: holeUuid(r.hole),
      foilhole_id: r.hole,
      ...(r.time ? { acquisition_datetime: r.time.replace(' ', 'T') } : {}),
    })),
  );
  o.progress(`grid ${gridUuid}: ${squareIds.length} squares, ${holeKeys.length} foil holes, ${rows.length} micrographs ready`);
  const outcomes: Record<string, number> = {};
  let messages = 0;
  for (const [i, r] of rows.entries()) {
    const micrograph_uuid = mics.get(uuidFor(`${gridUuid}:mic:${r.micrograph}`))!;
    const sends: Array<[string, Record<string, unknown>]> = [];
    if (r.totalMotion !== undefined)
      sends.push(['motion_correction', { event_type: 'motion_correction.completed', micrograph_uuid, total_motion: r.totalMotion }]);
    if (r.ctf !== undefined) sends.push(['ctf', { event_type: 'ctf.completed', micrograph_uuid, ctf_max_resolution_estimate: r.ctf }]);
    if (r.particles !== undefined)
      sends.push([
        'particle_picking',
        { event_type: 'particle_picking.completed', micrograph_uuid, number_of_particles_picked: r.particles },
      ]);
    for (const [route, message] of sends) {
      const outcome = await o.transport.sendProcessing(route, message);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      messages++;
    }
    if ((i + 1) % 500 === 0) o.progress(`${i + 1}/${rows.length} micrographs replayed`);
    if (o.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, o.delayMs));
  }
  return { grid_uuid: gridUuid, micrographs: rows.length, messages, outcomes };
}
