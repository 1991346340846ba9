/** What the pages show, derived from the API's reads: square states, colour scales, the recommended order. */
import type { AtlasSquare, Ranking } from './api.ts';

export type SquareState = 'collecting' | 'collected' | 'recommended' | 'skipped' | 'not-seen';

/** Legend text for each state, in drawing colour. */
export const STATES: Array<{ state: SquareState; label: string; colour: string; help: string }> = [
  { state: 'collecting', label: 'collecting', colour: '#f59e0b', help: 'holds the latest micrograph of the grid' },
  { state: 'collected', label: 'collected', colour: '#2563eb', help: 'has micrographs' },
  { state: 'recommended', label: 'recommended', colour: '#34d399', help: 'no micrographs yet; SmartEM says collect' },
  { state: 'not-seen', label: 'not yet seen', colour: '#d1d5db', help: 'no micrographs and no foil holes known yet' },
  {
    state: 'skipped',
    label: 'skipped',
    colour: '#6b7280',
    help: 'no micrographs; foil holes seen and SmartEM says skip, or EPU marked it unusable',
  },
];
export const STATE_COLOUR = Object.fromEntries(STATES.map((s) => [s.state, s.colour])) as Record<SquareState, string>;

export interface SquareView {
  square: AtlasSquare;
  state: SquareState;
  foilholes: number;
  micrographs: number;
  good: number;
  withCtf: number;
  meanCtf: number | null;
  /** Share of micrographs with a CTF estimate that are good (0–1), null before any. */
  observed: number | null;
  /** SmartEM's expected share of good holes among those left (0–1), null without a ranking. */
  predicted: number | null;
  rank: number | null;
  decision: 'collect' | 'skip' | null;
  expectedGood: number | null;
  remainingHoles: number | null;
}

export function squareViews(squares: AtlasSquare[], suggested: Ranking | null): SquareView[] {
  const ranked = new Map((suggested?.squares ?? []).map((s) => [s.gridsquare_uuid, s]));
  let latest: { uuid: string; at: string } | null = null;
  for (const c of squares)
    if (c.last_acquired && (!latest || c.last_acquired > latest.at)) latest = { uuid: c.gridsquare_uuid, at: c.last_acquired };
  return squares.map((square) => {
    const c = square;
    const r = ranked.get(square.gridsquare_uuid);
    const micrographs = c.micrographs;
    let state: SquareState;
    if (latest?.uuid === square.gridsquare_uuid) state = 'collecting';
    else if (micrographs > 0) state = 'collected';
    // A square without foil holes has not been imaged at square magnification, so a "skip" there is only a low
    // atlas-based priority, not a decision about what was seen.
    else if (square.unusable || (r?.decision === 'skip' && c.foilholes > 0)) state = 'skipped';
    else if (r?.decision === 'collect') state = 'recommended';
    else state = 'not-seen';
    return {
      square,
      state,
      foilholes: c.foilholes,
      micrographs,
      good: c.good,
      withCtf: c.with_ctf,
      meanCtf: c.mean_ctf,
      observed: c.with_ctf > 0 ? c.good / c.with_ctf : null,
      predicted: r && r.remaining_holes > 0 ? Math.min(1, r.expected_good_holes / r.remaining_holes) : null,
      rank: r?.rank ?? null,
      decision: r?.decision ?? null,
      expectedGood: r?.expected_good_holes ?? null,
      remainingHoles: r?.remaining_holes ?? null,
    };
  });
}

/** A red → amber → green ramp for a share in [0, 1]; grey for no value. */
export function shareColour(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return NO_VALUE;
  const t = Math.max(0, Math.min(1, v));
  const hue = 5 + t * 125; // red (5°) to green (130°)
  return `hsl(${hue.toFixed(0)} 70% 45%)`;
}

export const NO_VALUE = '#e5e7eb';

/** A colour for a metric where lower is better, between `good` (green) and `bad` (red). */
export function lowerIsBetterColour(v: number | null, good: number, bad: number): string {
  if (v === null || !Number.isFinite(v)) return NO_VALUE;
  return shareColour(1 - (v - good) / (bad - good));
}

export function higherIsBetterColour(v: number | null, bad: number, good: number): string {
  if (v === null || !Number.isFinite(v)) return NO_VALUE;
  return shareColour((v - bad) / (good - bad));
}

export function fmt(v: number | null | undefined, digits = 1, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v * 100)} %`;
}

/** Compares EPU ids numerically ("9" before "10"); one collator, since creating one per comparison is slow. */
export const compareIds = new Intl.Collator(undefined, { numeric: true }).compare;
