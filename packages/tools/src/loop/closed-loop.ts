/**
 * The closed loop, with the real parts: the embedded backend (`smartem up` as a child process: PGlite + API + worker),
 * the stand-in Athena Decision Service, the agent watching the visit in `auto` mode, and the EPU simulator obeying
 * the Decision Service and sending processing results back to the backend. Or, for the counterfactual, the simulator
 * alone in EPU's default order. `smartem bench closed-loop` and `smartem demo` both run visits through here.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@smartem/common';
import { startWatch, type WatchHandle } from '@smartem/agent';
import { startAthenaMock, type AthenaMock, type RecordedRequest } from '@smartem/athena/mock';
import { cost } from '@smartem/decisions/bench/episode';
import { playVisit, type AcquisitionSummary, type HoleTruth, type PlaySummary, type VisitOptions } from '@smartem/epu-sim';
import { feedPredictions, type PredictionFeed } from './predictions.ts';

/** The backend, the Decision Service and the agent, running together. */
export interface LoopServices {
  backend: BackendProcess;
  athena: AthenaMock;
  agent: WatchHandle;
  /** The EPU output directory the agent watches and the simulator writes. */
  visitDir: string;
  /** Where the Decision Service records every request (one JSON line each, with its time). */
  athenaLog: string;
  stop(): Promise<void>;
  /** After `stop`: how long each part took to stop, ms. */
  stopMs?: { agent: number; athena: number; backend: number };
}

export interface ServicesOptions {
  /** Working directory: `visit/`, `db/`, `agent-state/` go here. */
  dir: string;
  /** Default `<dir>/athena.jsonl`. */
  athenaLog?: string;
  /** Backend port (0: any free port). */
  port?: number;
  /**
   * A PGlite data directory already migrated (`migrateDataDir`), copied as the backend's `db/`: its start then skips
   * creating the database cluster and applying the migrations.
   */
  template?: string;
  log: Logger;
}

/**
 * A fresh PGlite data directory with every migration applied (`smartem backend migrate --data`, its own process), for
 * `template`: creating a cluster and migrating it costs seconds of CPU that copying it does not.
 */
export async function migrateDataDir(dir: string): Promise<void> {
  const child = spawn(process.execPath, [SMARTEM_BIN, 'backend', 'migrate', '--data', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`smartem backend migrate --data ${dir} exited with ${code}: ${err.trim()}`);
}

export async function startLoopServices(o: ServicesOptions): Promise<LoopServices> {
  const visitDir = join(o.dir, 'visit');
  await mkdir(visitDir, { recursive: true });
  const athenaLog = o.athenaLog ?? join(o.dir, 'athena.jsonl');
  const dataDir = join(o.dir, 'db');
  // The template's lock file is left behind (a stale lock would be taken over, but only after a check).
  if (o.template) await cp(o.template, dataDir, { recursive: true, filter: (src) => basename(src) !== 'smartem.lock' });
  const backend = await startBackendProcess(dataDir, o.port ?? 0, o.log);
  let athena: AthenaMock | undefined;
  try {
    athena = await startAthenaMock({ recordFile: athenaLog, log: (line) => o.log.warn(line) });
    const agent = await startWatch({
      dir: visitDir,
      api: backend.url,
      stateDir: join(o.dir, 'agent-state'),
      mode: 'auto',
      athena: athena.url,
      agentId: 'closed-loop',
      log: o.log.child({ component: 'agent' }),
    });
    const mock = athena;
    const services: LoopServices = {
      backend,
      athena: mock,
      agent,
      visitDir,
      athenaLog,
      async stop() {
        const t0 = Date.now();
        await agent.stop();
        const t1 = Date.now();
        await mock.close();
        const t2 = Date.now();
        await backend.stop();
        services.stopMs = { agent: t1 - t0, athena: t2 - t1, backend: Date.now() - t2 };
      },
    };
    return services;
  } catch (error) {
    await athena?.close();
    await backend.stop();
    throw error;
  }
}

export interface BackendProcess {
  url: string;
  pid: number;
  /** SIGTERM, then waits for it to exit (it stops gracefully). */
  stop(): Promise<void>;
}

const SMARTEM_BIN = fileURLToPath(new URL('../../../cli/bin/smartem.js', import.meta.url));

/**
 * `smartem up` in its own process (its PGlite queries then do not hold up the agent and the simulator, and the
 * worker gets a core of its own), started until it says where it listens. It stops when this process ends (SIGINT,
 * SIGTERM, even SIGKILL), so no backend is left behind.
 */
async function startBackendProcess(dataDir: string, port: number, log: Logger): Promise<BackendProcess> {
  // The IPC channel is only there to close when this process ends, however it ends: `smartem up` then stops too.
  const child = spawn(process.execPath, [SMARTEM_BIN, 'up', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, HTTP_API_PORT: '' },
  });
  child.channel?.unref();
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  let out = '';
  let err = '';
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    void exited.then((code) => reject(new Error(`smartem up exited with ${code}: ${err.trim()}`)));
  });
  stdout.resume();
  log.info({ url, pid: child.pid }, 'backend started');
  let stopping = false;
  void exited.then((code) => {
    if (!stopping) log.error({ code, stderr: err.slice(-4000) }, 'the backend (smartem up) exited');
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One hole collected, as the visit goes: counts so far. */
export interface HoleProgress {
  holeId: number;
  holes: number;
  good: number;
  /** Beam time spent so far (the benchmark's units; the first hole is free). */
  beamTime: number;
  /** Acquisition time of the hole's first micrograph (ms since the epoch, the simulation's clock). */
  acquiredMs: number;
}

/** One hole collected: when, at what beam time, whether good, and how many micrographs (all of the play). */
export interface HoleCollected {
  holeId: number;
  beamTime: number;
  acquiredMs: number;
  good: boolean;
  micrographs: number;
}

export interface PlayLoopOptions {
  visit: VisitOptions;
  /** Output directory of the play (the services' `visitDir` for SmartEM). */
  out: string;
  /** The services to obey and feed; without them, EPU's default order and no processing feedback. */
  services?: LoopServices;
  truth?: string;
  truthStart?: number;
  budget?: number;
  /** Image every square and find its holes before acquiring any (see the simulator's `prepareSquares`). */
  prepareSquares?: boolean;
  /** With `services`: EPU reads a square's hole selection again before each hole (see the simulator's `recheckHoles`). */
  recheckHoles?: boolean;
  /** Simulated seconds per real second; `fast`: no pauses (no feedback delay either). */
  speed: number;
  fast?: boolean;
  /** Simulated seconds from a micrograph to its processing results (default the simulator's, 300). */
  feedbackDelayS?: number;
  /** Whole seconds each TimedDecision waits (default the simulator's, 1). */
  decisionTimeoutS?: number;
  /**
   * With `services`: each truth hole's predicted CTF resolution (Å; by index into the truth), posted to the backend
   * as the agent registers the holes.
   */
  predicted?: (truthIndex: number) => number | undefined;
  onHole?: (p: HoleProgress) => void;
  signal?: AbortSignal;
}

export interface LoopResult {
  play: PlaySummary;
  acquisition: AcquisitionSummary;
  truth: HoleTruth;
  /** When the backend had stored each micrograph's CTF (ms since epoch), in order. */
  ctfStoredAt: number[];
  /** Predictions the backend stored (0 without `predicted`). */
  predictionsStored: number;
  /** Every hole collected, in the order its first micrograph was written. */
  holes: HoleCollected[];
  wallMs: number;
}

/** Plays one visit (one grid) against the truth and budget, following SmartEM's decisions when `services` are given. */
export async function playLoop(o: PlayLoopOptions): Promise<LoopResult> {
  const started = Date.now();
  let truth: HoleTruth | undefined;
  const seen = new Map<number, HoleCollected>();
  let previous: number | undefined;
  const progress: HoleProgress = { holeId: 0, holes: 0, good: 0, beamTime: 0, acquiredMs: 0 };
  const ctfStoredAt: number[] = [];
  let feed: PredictionFeed | undefined;
  const startFeed = (t: HoleTruth): void => {
    if (!o.services || !o.predicted) return;
    const predicted = new Map<number, number>();
    for (const [holeId, i] of t.index) {
      const r = o.predicted(i);
      if (r !== undefined) predicted.set(holeId, r);
    }
    feed = feedPredictions({ api: o.services.backend.url, predicted, threshold: t.grid.threshold });
  };
  const playing = playVisit({
    ...o.visit,
    grids: 1,
    out: o.out,
    speed: o.speed,
    fast: o.fast,
    maxDelayMs: 2000,
    signal: o.signal,
    truth: o.truth,
    truthStart: o.truthStart,
    budget: o.budget,
    prepareSquares: o.prepareSquares,
    recheckHoles: o.services ? o.recheckHoles : undefined,
    onTruth: (t) => {
      truth = t;
      startFeed(t);
    },
    ...(o.services
      ? {
          athena: { url: o.services.athena.url, ...(o.decisionTimeoutS === undefined ? {} : { timeoutSeconds: o.decisionTimeoutS }) },
          feedback: {
            api: o.services.backend.url,
            ...(o.feedbackDelayS === undefined ? {} : { delayMs: o.feedbackDelayS * 1000 }),
            onResult: (r) => {
              if (r.ctfStoredAt !== undefined) ctfStoredAt.push(r.ctfStoredAt);
            },
          },
        }
      : {}),
    onEvent: (e) => {
      if (e.type !== 'file' || !e.micrograph || e.rewrite || !truth) return;
      const collected = seen.get(e.micrograph.holeId);
      if (collected) {
        collected.micrographs++;
        return;
      }
      const i = truth.index.get(e.micrograph.holeId);
      if (i === undefined) return;
      if (previous !== undefined) progress.beamTime += cost(truth.grid, previous, i);
      previous = i;
      progress.holeId = e.micrograph.holeId;
      progress.holes++;
      progress.good += truth.grid.good[i]!;
      // In whole ms, as the manifest records it (and the backend stores it): the simulator's clock has fractions.
      progress.acquiredMs = Math.floor(e.timeMs);
      seen.set(e.micrograph.holeId, {
        holeId: e.micrograph.holeId,
        beamTime: progress.beamTime,
        acquiredMs: progress.acquiredMs,
        good: truth.grid.good[i] === 1,
        micrographs: 1,
      });
      o.onHole?.({ ...progress });
    },
  });
  const play = await playing.catch(async (error: unknown) => {
    await feed?.stop().catch(() => 0);
    throw error;
  });
  const predictionsStored = (await feed?.stop()) ?? 0;
  if (!play.acquisition || !truth) throw new Error('the simulator played without a truth (no --truth, --budget or --athena)');
  ctfStoredAt.sort((a, b) => a - b);
  return {
    play,
    acquisition: play.acquisition,
    truth,
    ctfStoredAt,
    predictionsStored,
    holes: [...seen.values()],
    wallMs: Date.now() - started,
  };
}

/** What the Decision Service saw: requests, decisions posted, and how long each decision took from its results. */
export interface AthenaLogSummary {
  requests: number;
  decisionsPosted: number;
  /**
   * Per posted batch that answers a processing result: from the latest CTF stored before its instruction was created
   * (and after the previous recomputation's instructions were) to the batch being readable.
   */
  latencyMs: number[];
  /** Square ids posted `include` false and hole ids posted deselected in a `foilHoleSelection`. */
  excludedSquares: Set<number>;
  deselectedHoles: Set<number>;
}

/**
 * Reads the Decision Service's record. A decision's timestamp is the creation time of the backend instruction it
 * carries out (the agent keeps it), so the processing result it answers is the latest one stored before that time;
 * the decision is readable once the `POST /Decisions` is answered (the record's `time`). The instructions of one
 * recomputation share their creation time; a batch whose recomputation saw no CTF stored since the previous one was
 * caused by something else (a square's holes found) and has no latency. `fromByte`: read only what was recorded after
 * that offset (one run of several recorded into one file).
 */
export async function readAthenaLog(path: string, ctfStoredAt: readonly number[], fromByte = 0): Promise<AthenaLogSummary> {
  const lines = (await readFile(path))
    .subarray(fromByte)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim());
  const out: AthenaLogSummary = {
    requests: lines.length,
    decisionsPosted: 0,
    latencyMs: [],
    excludedSquares: new Set(),
    deselectedHoles: new Set(),
  };
  const batches: Array<{ created: number; readable: number }> = [];
  for (const line of lines) {
    const r = JSON.parse(line) as RecordedRequest;
    if (r.method !== 'POST' || !/\/Decisions$/.test(r.path) || r.status !== 201 || !Array.isArray(r.body)) continue;
    const records = r.body as Array<{ areaId: number; decisionType: string; decisionValue?: string; timestamp?: string }>;
    out.decisionsPosted += records.length;
    for (const d of records) {
      if (d.decisionType === 'include' && d.decisionValue?.toLowerCase() === 'false') out.excludedSquares.add(d.areaId);
      if (d.decisionType === 'foilHoleSelection' && d.decisionValue) {
        for (const v of JSON.parse(d.decisionValue) as Array<{ areaId: number; result: string }>)
          if (v.result.toLowerCase() === 'false') out.deselectedHoles.add(v.areaId);
      }
    }
    const created = Date.parse(records[0]?.timestamp ?? '');
    if (Number.isFinite(created)) batches.push({ created, readable: Date.parse(r.time) });
  }
  const recomputations = [...new Set(batches.map((b) => b.created))].sort((a, b) => a - b);
  for (const b of batches) {
    const i = recomputations.indexOf(b.created);
    const cause = latestAtOrBefore(ctfStoredAt, b.created);
    if (cause !== undefined && (i === 0 || cause > recomputations[i - 1]!)) out.latencyMs.push(b.readable - cause);
  }
  return out;
}

function latestAtOrBefore(sorted: readonly number[], t: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? sorted[lo - 1] : undefined;
}

/** The q-quantile (0…1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
