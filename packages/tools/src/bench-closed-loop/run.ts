/**
 * `smartem bench closed-loop`: the same grid and beam-time budget collected twice from the same starting square —
 * once in EPU's default order (the simulator alone), once following SmartEM (backend, agent in auto mode, Decision
 * Service, processing feedback: the real loop) — beside the same policy in the offline harness, and how long a
 * processing result takes to become a decision EPU can read.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@smartem/common';
import { enginePolicy, epuPolicy, runPolicies } from '@smartem/decisions';
import { GOOD_CTF_ANGSTROM, loadCryoRl } from '@smartem/decisions/bench/dataset';
import { cost, indexDataset, startHole, type BenchGrid } from '@smartem/decisions/bench/episode';
import { DEFAULT_FEEDBACK_DELAY_MS, truthSquareOf } from '@smartem/epu-sim';
import { feedEpuDefault, goodMicrographsByBeamTime } from '../loop/epu-default.ts';
import {
  migrateDataDir,
  playLoop,
  quantile,
  readAthenaLog,
  startLoopServices,
  type LoopResult,
  type LoopServices,
} from '../loop/closed-loop.ts';

export interface ClosedLoopOptions {
  truth: string;
  /** CryoRL predictions TXT: posted to the live backend as the holes are found; the offline figure uses them too. */
  predictions?: string;
  budget: number;
  starts: number;
  speed: number;
  feedbackDelayS?: number;
  decisionTimeoutS?: number;
  /** Both visits image every square and find its holes before acquiring any (default true, as the simulator). */
  prepareSquares?: boolean;
  /** SmartEM's visit reads a square's hole selection again before each hole (the simulator's `recheckHoles`, default true). */
  recheckHoles?: boolean;
  shotsPerHole: number;
  /** The Decision Service records into this file (every start appended). */
  athenaLog?: string;
  log: Logger;
  print: (line: string) => void;
}

export interface StartResult {
  start: number;
  first_square: number;
  epu_default: { good: number; holes: number; beam_time: number; moves: MoveBreakdown };
  /** The offline harness's episode of the same start: where its beam time went. */
  offline_moves: MoveBreakdown;
  smartem: {
    /** Where the visit's beam time went. */
    moves: MoveBreakdown;
    good: number;
    holes: number;
    beam_time: number;
    squares_skipped: number;
    holes_deselected: number;
    /** Of those, deselected after their square started (read again before each hole, `--recheck-holes`). */
    holes_deselected_late: number;
    /** Ids the simulator passed over: squares on `include` false, holes deselected. */
    skipped_squares: number[];
    deselected_holes: number[];
    decisions_found: number;
    decision_queries: number;
    /** Real time the simulator waited for decisions (its clock stopped; added unscaled to simulated time). */
    decision_wait_ms: number;
    feedback_sent: number;
    predictions_stored: number;
    /** Points of EPU's default order stored beside SmartEM's session for its atlas page (0: not stored). */
    epu_default_points: number;
    wall_ms: number;
    /** Per square visited, in collection order: its truth square (the dataset's square index), holes collected and good ones. */
    squares: Array<{ truth_square: number; holes: number; good: number }>;
    /** Simulated time the visit covered (its wall time would be this over the speed, plus the decision waits). */
    simulated_s: number;
  };
  athena_requests: number;
  decisions_posted: number;
  latency_ms: number[];
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** The whole start: EPU default arm, SmartEM's services started, its visit, services stopped. */
  start_wall_ms: number;
  /**
   * Where the start's wall time went: the EPU default arm (run while the services start), the services started
   * (after the arm), the SmartEM visit, the services stopped.
   */
  phases_ms: {
    epu_default: number;
    services_after_epu: number;
    visit: number;
    services_stop: number;
    /** The agent, the Decision Service and the backend stopped, one after another. */
    stop_parts?: { agent: number; athena: number; backend: number };
  };
}

/**
 * Where beam time went, by kind of move (the benchmark's costs: same patch 1, other patch of the square 2, other
 * square of the tile 6, other tile 8): moves made and time spent per kind, and how many moves entered a truth square
 * or patch already left before (a return).
 */
export interface MoveBreakdown {
  moves: Record<'same_patch' | 'other_patch' | 'other_square' | 'other_tile', { n: number; time: number }>;
  returns_to_square: number;
  returns_to_patch: number;
}

const MOVE_KIND = { 1: 'same_patch', 2: 'other_patch', 6: 'other_square', 8: 'other_tile' } as const;

function emptyBreakdown(): MoveBreakdown {
  const z = () => ({ n: 0, time: 0 });
  return { moves: { same_patch: z(), other_patch: z(), other_square: z(), other_tile: z() }, returns_to_square: 0, returns_to_patch: 0 };
}

/** The breakdown of a visit that collected the truth holes `order` (indices into `g`) in that order. */
export function moveBreakdown(g: BenchGrid, order: readonly number[]): MoveBreakdown {
  const out = emptyBreakdown();
  const leftSquares = new Set<number>();
  const leftPatches = new Set<number>();
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    const c = cost(g, a, b) as keyof typeof MOVE_KIND;
    const m = out.moves[MOVE_KIND[c]];
    m.n++;
    m.time += c;
    if (g.group[a] !== g.group[b]) {
      leftPatches.add(g.group[a]!);
      if (leftPatches.has(g.group[b]!)) out.returns_to_patch++;
    }
    if (g.square[a] !== g.square[b]) {
      leftSquares.add(g.square[a]!);
      if (leftSquares.has(g.square[b]!)) out.returns_to_square++;
    }
  }
  return out;
}

/** From an offline episode's trace: time per kind of move (its order is not kept, so no returns). */
function traceBreakdown(timeByMove: Record<number, number>): MoveBreakdown {
  const out = emptyBreakdown();
  for (const [c, kind] of Object.entries(MOVE_KIND)) {
    const time = timeByMove[Number(c)] ?? 0;
    out.moves[kind] = { n: time / Number(c), time };
  }
  return out;
}

/** Moves × cost per kind and the time they make up, e.g. `same patch 120×1 … = 480`. */
function formatBreakdown(b: MoveBreakdown): string {
  const kinds = Object.entries(MOVE_KIND).map(([c, k]) => `${k.replace('_', ' ')} ${b.moves[k].n}×${c}`);
  const total = Object.values(b.moves).reduce((a, m) => a + m.time, 0);
  return `${kinds.join(', ')} = ${total}; returns: ${b.returns_to_square} to a square, ${b.returns_to_patch} to a patch`;
}

const truthOrder = (r: LoopResult): number[] =>
  r.acquisition.holeOrder.map((id) => r.truth.index.get(id)).filter((i): i is number => i !== undefined);

/** The visit's collected holes per truth square, in the order the squares were first collected from. */
function perSquare(r: LoopResult): StartResult['smartem']['squares'] {
  const out = new Map<number, { truth_square: number; holes: number; good: number }>();
  for (const id of r.acquisition.holeOrder) {
    const i = r.truth.index.get(id);
    if (i === undefined) continue;
    const s = r.truth.grid.square[i]!;
    const entry = out.get(s) ?? { truth_square: s, holes: 0, good: 0 };
    entry.holes++;
    entry.good += r.truth.grid.good[i]!;
    out.set(s, entry);
  }
  return [...out.values()];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runClosedLoop(o: ClosedLoopOptions): Promise<Record<string, unknown>> {
  const started = Date.now();
  const dataset = await loadCryoRl(o.truth, o.predictions);
  const grid = indexDataset(dataset, GOOD_CTF_ANGSTROM);
  const visit = { squares: 1, holesPerSquare: 1, shotsPerHole: o.shotsPerHole, grids: 1, seed: 1 };
  const base = await mkdtemp(join(tmpdir(), 'smartem-closed-loop-'));
  // One migrated database, made in its own process while start 0's backend creates and migrates its own, then
  // copied for the later starts' backends.
  const templateDir = join(base, 'template');
  const template = o.starts > 1 ? migrateDataDir(templateDir) : Promise.resolve();
  template.catch(() => {});
  const policy = enginePolicy('online-learner', o.predictions !== undefined);
  let offline: ReturnType<typeof runPolicies>[string] | undefined;
  const runs: StartResult[] = [];
  // SIGINT/SIGTERM: stop the visit, the agent and the backend, and remove the working directory before exiting.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let s = 0; s < o.starts && !interrupt.signal.aborted; s++) {
      const startedAt = Date.now();
      const first = truthSquareOf(dataset, startHole(grid.good.length, s));
      const common = { visit, truth: o.truth, truthStart: first, budget: o.budget, prepareSquares: o.prepareSquares };
      // The backend starts in its own process while this one plays the EPU default arm (nothing of it is timed).
      const dir = join(base, `smartem-${s}`);
      const starting =
        s === 0
          ? startLoopServices({ dir, athenaLog: o.athenaLog, log: o.log })
          : template.then(() => startLoopServices({ dir, template: templateDir, athenaLog: o.athenaLog, log: o.log }));
      starting.catch(() => {});
      let epu: LoopResult;
      try {
        epu = await playLoop({ ...common, out: join(base, `epu-${s}`), speed: o.speed, fast: true });
      } catch (error) {
        await starting.then((sv) => sv.stop()).catch(() => {});
        throw error;
      }
      const epuDone = Date.now();
      o.print(`start ${s} (truth square ${first} first): EPU default ${epu.acquisition.goodHoles} good holes`);
      // The offline harness while this process would only wait for the backend.
      offline ??= runPolicies(grid, [policy], o.budget, o.starts)[policy.name]!;
      const services: LoopServices = await starting;
      const visitFrom = Date.now();
      const logFrom = await stat(services.athenaLog).then((st) => st.size);
      // EPU's default order stored beside SmartEM's session, for its atlas page (while the backend runs).
      const epuFeed = feedEpuDefault({ api: services.backend.url, goodAt: goodMicrographsByBeamTime(epu.holes) });
      let sm: LoopResult;
      let epuDefaultPoints = 0;
      let stopFrom = 0;
      try {
        sm = await playLoop({
          ...common,
          out: services.visitDir,
          services,
          speed: o.speed,
          feedbackDelayS: o.feedbackDelayS,
          decisionTimeoutS: o.decisionTimeoutS,
          recheckHoles: o.recheckHoles,
          signal: interrupt.signal,
          onHole: (p) => epuFeed.add(p),
          ...(o.predictions ? { predicted: (i: number) => dataset.holes[i]?.predicted } : {}),
        });
      } finally {
        epuDefaultPoints = await epuFeed.stop().catch((error: unknown) => {
          o.log.warn({ err: error }, "EPU's default order not stored");
          return 0;
        });
        stopFrom = Date.now();
        await services.stop();
      }
      const phases = {
        epu_default: epuDone - startedAt,
        services_after_epu: visitFrom - epuDone,
        visit: stopFrom - visitFrom,
        services_stop: Date.now() - stopFrom,
        ...(services.stopMs ? { stop_parts: services.stopMs } : {}),
      };
      if (interrupt.signal.aborted) break;
      const athena = await readAthenaLog(services.athenaLog, sm.ctfStoredAt, logFrom);
      const a = sm.acquisition;
      runs.push({
        start: s,
        first_square: first,
        epu_default: {
          good: epu.acquisition.goodHoles,
          holes: epu.acquisition.holesCollected,
          beam_time: epu.acquisition.beamTime,
          moves: moveBreakdown(epu.truth.grid, truthOrder(epu)),
        },
        offline_moves: traceBreakdown(offline.traces[s]?.timeByMove ?? {}),
        smartem: {
          moves: moveBreakdown(sm.truth.grid, truthOrder(sm)),
          good: a.goodHoles,
          holes: a.holesCollected,
          beam_time: a.beamTime,
          squares_skipped: a.squaresSkipped,
          holes_deselected: a.holesDeselected,
          holes_deselected_late: a.holesDeselectedLate,
          skipped_squares: a.skippedSquares,
          deselected_holes: a.deselectedHoles,
          decisions_found: a.decisionsFound,
          decision_queries: a.decisionQueries,
          decision_wait_ms: Math.round(a.decisionWaitMs),
          feedback_sent: sm.play.feedback?.sent ?? 0,
          predictions_stored: sm.predictionsStored,
          epu_default_points: epuDefaultPoints,
          wall_ms: sm.wallMs,
          squares: perSquare(sm),
          simulated_s: Math.round(sm.play.simulatedMs / 1000),
        },
        athena_requests: athena.requests,
        decisions_posted: athena.decisionsPosted,
        latency_ms: athena.latencyMs,
        latency_p50_ms: quantile(athena.latencyMs, 0.5),
        latency_p99_ms: quantile(athena.latencyMs, 0.99),
        start_wall_ms: Date.now() - startedAt,
        phases_ms: phases,
      });
      const r = runs.at(-1)!;
      for (const [name, b] of [
        ['EPU default', r.epu_default.moves],
        ['SmartEM', r.smartem.moves],
        ['offline', r.offline_moves],
      ] as const) {
        o.print(`start ${s}: ${name.padEnd(11)} ${formatBreakdown(b)}`);
      }
      o.print(
        `start ${s}: SmartEM ${a.goodHoles} good holes (${a.holesCollected} holes, ${a.squaresSkipped} squares skipped, ` +
          `${a.holesDeselected} holes deselected (${a.holesDeselectedLate} after their square started), ` +
          `${a.decisionsFound}/${a.decisionQueries} queries answered, ` +
          `${athena.decisionsPosted} decisions posted); decision latency p50 ${r.latency_p50_ms} ms, p99 ${r.latency_p99_ms} ms; ` +
          `visit ${(sm.wallMs / 1000).toFixed(0)} s (${(a.decisionWaitMs / 1000).toFixed(0)} s of it waiting for decisions), ` +
          `start ${(r.start_wall_ms / 1000).toFixed(0)} s (EPU arm ${(phases.epu_default / 1000).toFixed(1)} s, ` +
          `services ready ${(phases.services_after_epu / 1000).toFixed(1)} s after it, stop ${(phases.services_stop / 1000).toFixed(1)} s` +
          `${phases.stop_parts ? `: agent ${(phases.stop_parts.agent / 1000).toFixed(1)} s, backend ${(phases.stop_parts.backend / 1000).toFixed(1)} s` : ''})`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(base, { recursive: true, force: true });
  }
  if (interrupt.signal.aborted) throw new Error('interrupted');
  offline ??= runPolicies(grid, [policy], o.budget, o.starts)[policy.name]!;

  const latencies = runs.flatMap((r) => r.latency_ms);
  const epuGood = mean(runs.map((r) => r.epu_default.good));
  const smGood = mean(runs.map((r) => r.smartem.good));
  // The same policy offline under EPU's constraints: no way back to a square it left, and each result as many holes
  // late as the processing delay was in SmartEM's visits. What the closed loop loses to these is not plumbing.
  const secondsPerHole =
    runs.reduce((t, r) => t + r.smartem.simulated_s, 0) /
    Math.max(
      1,
      runs.reduce((n, r) => n + r.smartem.holes, 0),
    );
  const feedbackDelayHoles = Math.round((o.feedbackDelayS ?? DEFAULT_FEEDBACK_DELAY_MS / 1000) / secondsPerHole);
  const constrained = enginePolicy('online-learner', o.predictions !== undefined, false, undefined, { feedbackDelayHoles });
  const offlineEpu = runPolicies(grid, [constrained], o.budget, o.starts)[constrained.name]!;
  // EPU played offline by the simulator's rules, alone and following the backend's own recommendation code with the
  // same delay: the closed loop's rule without processes, so what the loop loses beyond it is plumbing and timing.
  const following = epuPolicy({ authority: 'online-learner', withPredictions: o.predictions !== undefined, feedbackDelayHoles });
  const offlineRule = runPolicies(grid, [epuPolicy(), following], o.budget, o.starts);
  const result = {
    truth: o.truth,
    budget: o.budget,
    starts: o.starts,
    speed: o.speed,
    decision_timeout_s: o.decisionTimeoutS ?? null,
    prepare_squares: o.prepareSquares ?? true,
    recheck_holes: o.recheckHoles ?? true,
    epu_default: { good: epuGood },
    smartem: {
      good: smGood,
      decision_latency_ms: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), n: latencies.length },
    },
    ratio: smGood / epuGood,
    predictions: o.predictions ?? null,
    offline: { policy: policy.name, good: offline.mean },
    ratio_to_offline: smGood / offline.mean,
    offline_epu_constraints: { policy: constrained.name, good: offlineEpu.mean, feedback_delay_holes: feedbackDelayHoles },
    ratio_to_offline_epu_constraints: smGood / offlineEpu.mean,
    offline_epu_default: { good: offlineRule['epu-default']!.mean },
    offline_epu_following: { policy: following.name, good: offlineRule[following.name]!.mean },
    ratio_to_offline_epu_following: smGood / offlineRule[following.name]!.mean,
    athena_requests: runs.reduce((n, r) => n + r.athena_requests, 0),
    decisions_posted: runs.reduce((n, r) => n + r.decisions_posted, 0),
    queries: {
      answered: runs.reduce((n, r) => n + r.smartem.decisions_found, 0),
      asked: runs.reduce((n, r) => n + r.smartem.decision_queries, 0),
    },
    start_wall_s: mean(runs.map((r) => r.start_wall_ms)) / 1000,
    wall_s: (Date.now() - started) / 1000,
    runs: runs.map(({ latency_ms: _l, ...r }) => r),
  };
  o.print('');
  o.print(
    `closed loop on ${dataset.name}, budget ${o.budget}, ${o.starts} start(s), ${o.speed}× real time` +
      `${o.prepareSquares === false ? ', squares found one by one' : ', squares prepared first'}` +
      `${o.recheckHoles === false ? ', hole selection read once per square' : ', hole selection read before each hole'}${o.predictions ? ', with predictions' : ''}:`,
  );
  o.print(`  EPU default order        ${epuGood.toFixed(1)} good holes`);
  o.print(`  SmartEM (closed loop)    ${smGood.toFixed(1)} good holes   ${result.ratio.toFixed(2)}× EPU default`);
  o.print(
    `  offline, same policy     ${offline.mean.toFixed(1)} good holes   (${policy.name}, bench decisions, same starts); closed loop = ${result.ratio_to_offline.toFixed(2)} of it`,
  );
  o.print(
    `  offline, EPU's way       ${offlineEpu.mean.toFixed(1)} good holes   (no return to a square left, results ${feedbackDelayHoles} holes late); ` +
      `closed loop = ${result.ratio_to_offline_epu_constraints.toFixed(2)} of it`,
  );
  o.print(
    `  offline, EPU following   ${offlineRule[following.name]!.mean.toFixed(1)} good holes   (the backend's recommendation rule, results ${feedbackDelayHoles} holes late; ` +
      `EPU alone ${offlineRule['epu-default']!.mean.toFixed(1)}); closed loop = ${result.ratio_to_offline_epu_following.toFixed(2)} of it`,
  );
  o.print(
    `  decision latency         p50 ${result.smartem.decision_latency_ms.p50} ms, p99 ${result.smartem.decision_latency_ms.p99} ms ` +
      `(${latencies.length} decision batches; processing result stored → decision readable at the Decision Service)`,
  );
  o.print(
    `  Decision Service         ${result.athena_requests} requests, ${result.decisions_posted} decisions posted; ` +
      `${result.queries.answered}/${result.queries.asked} queries answered`,
  );
  o.print(`  wall time                ${result.start_wall_s.toFixed(0)} s per start (mean), ${result.wall_s.toFixed(0)} s in all`);
  return result;
}
