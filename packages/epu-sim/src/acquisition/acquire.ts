// The acquisition as it happens, square by square: which square next and which holes in which order are decided
// at the moment EPU would decide them (asking the Decision Service when there is one), within a beam-time budget.
// Yields the same plan entries `buildPlan` does, timed in the order actually collected.
import { cost } from '@smartem/decisions/bench/episode';
import { Rng } from '../rng.ts';
import { scheduleHoles, scheduleSquareImage, squareGap, type Hole, type Square, type Visit } from '../model.ts';
import {
  buildPlan,
  holeFileEntries,
  squareCollectedEntry,
  squareHoleEntries,
  squareImageEntries,
  squareTargetsEntry,
  type PlanEntry,
} from '../plan.ts';
import { applyDecisions, type DecisionService } from './decision-service.ts';
import { isGood, type HoleTruth } from './truth.ts';

export interface AcquisitionOptions {
  truth: HoleTruth;
  decisions?: DecisionService;
  /** Beam-time budget in the benchmark's units (move costs 1 / 2 / 6 / 8); unlimited when absent. */
  budget?: number;
  /**
   * Image every selected square and find its holes first (in EPU's default order), then acquire: the Decision
   * Service's side knows every square's holes before the first is collected. Default true: real EPU sessions image
   * their squares long before collecting them (one on disk imaged a second square 18 minutes after the first and
   * collected its holes 15 hours later). `false`: each square is imaged and its holes found when it is chosen.
   */
  prepareSquares?: boolean;
  /**
   * With `decisions`: before each hole after a square's first, read the square's latest `foilHoleSelection` again
   * (`LatestDecision`, no wait) and pass over holes deselected since the square started; a square whose remaining
   * holes are all deselected is left. Default true: EPU asks for the latest decision before it acts on an area, and
   * a foil hole is an area. `false`: the hole selection is read once, when the square starts.
   */
  recheckHoles?: boolean;
}

export interface AcquisitionSummary {
  truthSource: string;
  squaresCollected: number;
  squaresSkipped: number;
  holesCollected: number;
  goodHoles: number;
  holesDeselected: number;
  /** Beam time spent, in budget units (the first hole is free, as an episode's start). */
  beamTime: number;
  budget: number | null;
  budgetSpent: boolean;
  /** Collected square ids and hole ids, in collection order. */
  squareOrder: number[];
  holeOrder: number[];
  /**
   * Squares passed over at least once (`include` false or deselected; deferred, not dropped) and holes not collected
   * because they were deselected.
   */
  skippedSquares: number[];
  deselectedHoles: number[];
  /** Holes passed over because a re-read selection (`recheckHoles`) deselected them after their square started. */
  holesDeselectedLate: number;
  /** Decision Service queries asked and answered with a decision (0 without `--athena`). */
  decisionQueries: number;
  decisionsFound: number;
  /** Decision Service calls that failed because it could not be reached (the step went on with EPU's default). */
  decisionServiceUnavailable: number;
  /**
   * Real time spent waiting for decisions, ms. The simulated clock stands still while the simulator waits and then
   * moves on by this real time, unscaled: a microscope loses only the real latency, whatever the play's speed.
   */
  decisionWaitMs: number;
}

export async function* acquisitionEntries(visit: Visit, opts: AcquisitionOptions, summary: AcquisitionSummary): AsyncGenerator<PlanEntry> {
  if (visit.grids.length !== 1) throw new Error(`--athena, --truth and --budget play one grid; got --grids ${visit.grids.length}`);
  const grid = visit.grids[0];
  const rng = new Rng(visit.options.seed + 7919);
  const { truth, decisions, budget, prepareSquares = true, recheckHoles = true } = opts;
  yield* buildPlan(visit, { squares: false });
  await decisions?.openGrid(grid);

  const selected = grid.squares.filter((s) => s.collected).sort((a, b) => a.order - b.order);
  for (const sq of selected) sq.collected = false;
  const remaining = new Set(selected);
  let t = Math.min(...selected.map((s) => s.imageTimeMs));
  let previous: number | undefined;
  let order = 0;
  if (prepareSquares) {
    for (const sq of selected) {
      t = scheduleSquareImage(sq, t, rng);
      yield* squareImageEntries(grid, sq);
      yield squareTargetsEntry(visit, grid, sq);
    }
  }
  const waited = async <T>(ask: () => Promise<T>): Promise<T> => {
    const w0 = performance.now();
    const answer = await ask();
    const ms = performance.now() - w0;
    summary.decisionWaitMs += ms;
    t += ms;
    return answer;
  };
  while (remaining.size > 0 && !summary.budgetSpent) {
    const step = decisions ? await waited(() => decisions.squareStep(grid)) : { excluded: new Set<number>() };
    // A skip defers a square, it does not drop it: the latest decision is asked again before every square, so a
    // square included later is collected then, and once only skipped squares remain they are collected in order.
    const candidates = applyDecisions([...remaining], { ...step, excluded: new Set() });
    const passed: Square[] = [];
    let chosen: Square | undefined;
    for (const sq of candidates) {
      if (!step.excluded.has(sq.id) && (!decisions || (await waited(() => decisions.includes(sq))))) {
        chosen = sq;
        break;
      }
      passed.push(sq);
    }
    for (const sq of passed) {
      if (summary.skippedSquares.includes(sq.id)) continue;
      summary.squaresSkipped++;
      summary.skippedSquares.push(sq.id);
    }
    chosen ??= passed[0];
    if (!chosen) break;
    remaining.delete(chosen);
    chosen.collected = true;
    chosen.order = order++;
    summary.squaresCollected++;
    summary.squareOrder.push(chosen.id);
    const targets = chosen.holes.filter((h) => h.selected);
    if (!prepareSquares) {
      t = scheduleSquareImage(chosen, t, rng);
      yield* squareImageEntries(grid, chosen);
      // Hole finding is written before EPU asks about the holes, so the service's side can have read them.
      if (decisions) yield squareTargetsEntry(visit, grid, chosen);
    }
    const holeStep = decisions ? await waited(() => decisions.holeStep(chosen, targets)) : { excluded: new Set<number>() };
    const ordered = applyDecisions(targets, holeStep);
    // Hole by hole when the selection is read again before each: a hole's files are written before the next is decided.
    const recheck = decisions !== undefined && recheckHoles;
    const dropped = new Set(holeStep.excluded);
    if (recheck) for (const hole of chosen.holes) hole.collected = false;
    const collect: Hole[] = [];
    for (const hole of ordered) {
      if (recheck && collect.length > 0 && (await waited(() => decisions.deselectedNow(chosen))).has(hole.id)) {
        dropped.add(hole.id);
        summary.holesDeselectedLate++;
        continue;
      }
      const i = truth.index.get(hole.id);
      if (i !== undefined && previous !== undefined) summary.beamTime += cost(truth.grid, previous, i);
      if (i !== undefined) previous = i;
      collect.push(hole);
      summary.holeOrder.push(hole.id);
      if (isGood(truth, hole.id)) summary.goodHoles++;
      if (recheck) {
        hole.collected = true;
        t = scheduleHoles([hole], grid.areas, grid.defocusList, order, t, rng);
        yield* holeFileEntries(grid, chosen, hole);
      }
      if (budget !== undefined && summary.beamTime > budget) {
        summary.budgetSpent = true;
        break;
      }
    }
    const collecting = new Set(collect);
    for (const hole of chosen.holes) {
      hole.collected = collecting.has(hole);
      if (dropped.has(hole.id)) {
        hole.selected = false;
        summary.holesDeselected++;
        summary.deselectedHoles.push(hole.id);
      }
    }
    summary.holesCollected += collect.length;
    if (recheck) yield squareCollectedEntry(visit, grid, chosen, t);
    else {
      t = scheduleHoles(collect, grid.areas, grid.defocusList, order, t, rng);
      yield* squareHoleEntries(visit, grid, chosen);
    }
    t += squareGap(rng);
  }
  summary.decisionQueries = decisions?.asked ?? 0;
  summary.decisionsFound = decisions?.answered ?? 0;
  summary.decisionServiceUnavailable = decisions?.unavailable ?? 0;
}

export function emptySummary(truth: HoleTruth, budget: number | undefined): AcquisitionSummary {
  return {
    truthSource: truth.source,
    squaresCollected: 0,
    squaresSkipped: 0,
    holesCollected: 0,
    goodHoles: 0,
    holesDeselected: 0,
    beamTime: 0,
    budget: budget ?? null,
    budgetSpent: false,
    squareOrder: [],
    holeOrder: [],
    skippedSquares: [],
    deselectedHoles: [],
    holesDeselectedLate: 0,
    decisionQueries: 0,
    decisionsFound: 0,
    decisionServiceUnavailable: 0,
    decisionWaitMs: 0,
  };
}
