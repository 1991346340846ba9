import type { LiveGridRows } from '../../repositories/live-grid.ts';
import {
  ctfMargin,
  ctfMarginFloor,
  DecisionGrid,
  epuHints,
  holeQuality,
  logit,
  micrographQuality,
  RunningStats,
  squareHint,
  type HoleInput,
  type Metric,
  type QualityConfig,
  type QualityVerdict,
  type SquareInput,
} from '@smartem/decisions';

/** A grid as the decision engine sees it, built from its rows (`repositories/live-grid.ts`): the engine's model plus the rows' identities. */
export interface LiveGrid {
  gridUuid: string;
  grid: DecisionGrid;
  squareNaturalIds: string[];
  holeNaturalIds: string[];
  /** Hole of the most recently acquired micrograph (the microscope's position), −1 when nothing was acquired. */
  current: number;
  micrographs: number;
  decidedHoles: number;
}

/** Builds the engine's model of one grid from its rows (pure: no database). */
export function buildLiveGrid(gridUuid: string, rows: LiveGridRows, config: QualityConfig): LiveGrid {
  const { squares, holes, micrographs: mics, holePredictions: predictions, squarePredictions } = rows;
  const squareInputs = new Map<string, SquareInput & { naturalId: string; atlasQuality: number | null; atlasCategory: number | null }>();
  for (const s of squares) {
    if (!squareInputs.has(s.uuid)) {
      squareInputs.set(s.uuid, {
        id: s.uuid,
        tile: s.tile ?? undefined,
        hint: squareHint(s.selected, s.unusable),
        naturalId: s.id,
        atlasQuality: s.atlasQuality,
        atlasCategory: s.atlasCategory,
      });
    }
  }
  const gridCategories = [...new Set(squares.map((s) => s.atlasCategory).filter((c): c is number => c !== null))].sort((a, b) => a - b);

  // Latest prediction per (model, hole), falling back to the latest per (model, square).
  const holeScores = new Map<string, Record<string, number>>();
  for (const p of predictions) {
    if (!p.target) continue;
    const scores = holeScores.get(p.target) ?? {};
    if (scores[p.model] === undefined) scores[p.model] = logit(p.value);
    holeScores.set(p.target, scores);
  }
  const squareScores = new Map<string, Record<string, number>>();
  for (const p of squarePredictions) {
    if (!p.target) continue;
    const scores = squareScores.get(p.target) ?? {};
    if (scores[p.model] === undefined) scores[p.model] = logit(p.value);
    squareScores.set(p.target, scores);
  }

  const stats: Record<Metric, RunningStats> = {
    total_motion: new RunningStats(),
    ctf_max_resolution_estimate: new RunningStats(),
    number_of_particles_picked: new RunningStats(),
  };
  for (const m of mics) {
    for (const k of Object.keys(stats) as Metric[]) {
      const v = m[k];
      if (v !== null && Number.isFinite(v)) stats[k].add(v);
    }
  }
  const statsNow = Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, s.stats]));
  const verdicts = new Map<string, QualityVerdict[]>();
  const ctfs = new Map<string, Array<number | null>>();
  let latest: { hole: string; at: number } | undefined;
  for (const m of mics) {
    if (!m.hole) continue;
    const list = verdicts.get(m.hole) ?? [];
    list.push(micrographQuality(m, statsNow, config));
    verdicts.set(m.hole, list);
    const holeCtfs = ctfs.get(m.hole) ?? [];
    holeCtfs.push(m.ctf_max_resolution_estimate);
    ctfs.set(m.hole, holeCtfs);
    const at = m.atMs ?? 0;
    if (!latest || at > latest.at) latest = { hole: m.hole, at };
  }

  const holeInputs: HoleInput[] = holes
    .filter((h) => h.square !== null)
    .map((h) => ({
      id: h.uuid,
      square: h.square!,
      x: h.x ?? h.cx ?? 0,
      y: h.y ?? h.cy ?? 0,
      predictions: { ...squareScores.get(h.square!), ...holeScores.get(h.uuid) },
      hints: epuHints(squareInputs.get(h.square!) ?? { atlasQuality: null, atlasCategory: null }, h.positionQuality, gridCategories),
      // EPU deselected the hole (its own filters) or flagged it near a grid bar.
      epuSelected: !(h.nearBar || h.selected === false),
    }));
  const grid = new DecisionGrid({
    squares: [...squareInputs.values()],
    holes: holeInputs,
    marginFloor: ctfMarginFloor(config.ctfMaxResolution),
  });
  let decidedHoles = 0;
  for (const [holeUuid, list] of verdicts) {
    const index = grid.holeIndex.get(holeUuid);
    if (index === undefined) continue;
    const q = holeQuality(list);
    if (q === undefined) grid.markAcquired(index);
    else {
      // The CTF margin beside the quality: the learner uses it only where it agrees with the quality.
      grid.observe(index, q, ctfMargin(ctfs.get(holeUuid) ?? [], config.ctfMaxResolution));
      decidedHoles++;
    }
  }
  const byUuid = new Map(holes.map((h) => [h.uuid, h.id]));
  return {
    gridUuid,
    grid,
    squareNaturalIds: grid.squareIds.map((u) => squareInputs.get(u)?.naturalId ?? ''),
    holeNaturalIds: grid.holeIds.map((u) => byUuid.get(u) ?? ''),
    current: latest ? (grid.holeIndex.get(latest.hole) ?? -1) : -1,
    micrographs: mics.length,
    decidedHoles,
  };
}
