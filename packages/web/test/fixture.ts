/**
 * A real embedded backend fed the way a session feeds it: the agent watching a simulated EPU visit, then processing
 * results posted through the API (derived from each hole's hidden quality in the simulation, so good holes have sharp
 * CTF estimates, many particles and little motion).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend, type RunningBackend } from '@smartem/backend';
import { startWatch } from '@smartem/agent';
import { createLogger } from '@smartem/common';
import { buildVisit, playVisit, summarise, type VisitOptions } from '@smartem/epu-sim';

export interface Row {
  uuid: string;
  [k: string]: unknown;
}

export interface FedBackend {
  backend: RunningBackend;
  api<T>(path: string, init?: RequestInit): Promise<T>;
  stop(): Promise<void>;
}

export async function startBackendIn(dir: string): Promise<FedBackend> {
  const log = createLogger({ level: 'error', name: 'web-test' });
  const backend = await startBackend({ log, dataDir: join(dir, 'db'), host: '127.0.0.1', port: 0, worker: true, migrate: true });
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${backend.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return { backend, api, stop: () => backend.stop() };
}

/** Starts a backend in a new temporary directory, plays `visit` into it through the agent, posts results. */
export async function startFedBackend(visitOptions: VisitOptions): Promise<FedBackend> {
  const base = await mkdtemp(join(tmpdir(), 'smartem-web-'));
  const fed = await startBackendIn(base);
  const { api } = fed;
  const visitDir = join(base, 'visit');
  await mkdir(visitDir);
  const visit = buildVisit(visitOptions);
  const want = summarise(visit, visitDir).counts;
  const log = createLogger({ level: 'error', name: 'web-test-agent' });
  const watch = await startWatch({ dir: visitDir, api: fed.backend.url, stateDir: join(base, 'agent'), log });
  await playVisit({ ...visitOptions, out: visitDir, fast: true, speed: 1 });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [squares, holes, micrographs] = await Promise.all(['/gridsquares', '/foilholes', '/micrographs'].map((p) => api<Row[]>(p)));
    if (squares.length === want.gridSquares && holes.length === want.foilHoles && micrographs.length === want.micrographs) break;
    assert.ok(
      Date.now() < deadline,
      `visit not ingested in 120 s: ${squares.length}/${want.gridSquares} squares, ${holes.length}/${want.foilHoles} holes, ${micrographs.length}/${want.micrographs} micrographs`,
    );
    await new Promise((r) => setTimeout(r, 250));
  }
  await watch.whenImagesSettled();
  await watch.stop();
  await postResults(api, visit);
  return {
    ...fed,
    stop: async () => {
      await fed.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Processing results for every micrograph, derived from its hole's hidden quality in the simulation. */
export async function postResults(api: FedBackend['api'], visit: ReturnType<typeof buildVisit>): Promise<void> {
  const quality = new Map<string, number>();
  for (const grid of visit.grids) for (const sq of grid.squares) for (const hole of sq.holes) quality.set(String(hole.id), hole.quality);
  const micrographs = await api<Array<Row & { foilhole_id: string }>>('/micrographs');
  let k = 0;
  for (const m of micrographs) {
    const q = quality.get(m.foilhole_id) ?? 0.5;
    const wobble = ((k++ * 7919) % 100) / 100; // a spread that does not depend on an RNG
    const post = (kind: string, body: object) => api(`/micrographs/${m.uuid}/${kind}`, { method: 'POST', body: JSON.stringify(body) });
    await post('motion_correction', { total_motion: 8 + (1 - q) * 30 + wobble * 4, average_motion: 1 + (1 - q) * 3 });
    await post('ctf', { ctf_max_resolution_estimate: 2.5 + (1 - q) * 7 + wobble });
    await post('particle_picking', { number_of_particles_picked: Math.round(50 + q * 400 + wobble * 40) });
  }
}
