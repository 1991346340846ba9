/** Plots with uPlot (Canvas, ~50 kB): a histogram, a line over time and per-square estimates with intervals. */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GridOverview, Ranking } from './api.ts';

interface ChartProps {
  title: string;
  data: uPlot.AlignedData;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  height?: number;
  /** Text shown instead of the plot when there is nothing to plot. */
  empty?: string | null;
  /** One plain line under the title saying how to read the plot. */
  note?: string;
  /** The figure's data-chart attribute (what tests find it by). */
  name?: string;
  /** More data-* attributes of the figure (what it drew, for tests). */
  attrs?: Record<`data-${string}`, string>;
}

function Chart({ title, data, options, height = 180, empty, note, name, attrs }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || empty) return;
    const plot = new uPlot({ ...options, width: el.clientWidth || 360, height }, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth || 360, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [data, options, height, empty]);
  return (
    <figure className="chart" data-chart={name} {...attrs}>
      <figcaption>{title}</figcaption>
      {note && <p className="muted small chart-note">{note}</p>}
      {empty ? <p className="muted">{empty}</p> : <div ref={ref} />}
    </figure>
  );
}

/** The CTF histogram as the API sends it (bins from 0 Å; the last one counts everything above it). */
export function CtfHistogram({ histogram, limit }: { histogram: GridOverview['ctf_histogram']; limit: number }) {
  const { bin_width, counts } = histogram;
  const hi = (counts.length - 1) * bin_width;
  const data = useMemo<uPlot.AlignedData>(() => [counts.map((_, k) => k * bin_width), counts], [counts, bin_width]);
  const options = useMemo(() => histogramOptions(limit, hi), [limit, hi]);
  const empty = counts.every((n) => n === 0);
  return <Chart title={`CTF max resolution per micrograph (green: good, ≤ ${limit} Å)`} data={data} options={options} empty={empty ? 'No CTF results yet.' : null} />;
}

function histogramOptions(limit: number, hi: number) {
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    legend: { show: false },
    scales: { x: { time: false } },
    axes: [
      { label: `CTF max resolution (Å); last bar: ≥ ${hi} Å` },
      { label: 'micrographs' },
    ],
    series: [
      {},
      {
        label: 'micrographs',
        paths: uPlot.paths.bars!({ size: [0.9, 40], align: 1 }),
        fill: (u: uPlot) => {
          const g = u.ctx.createLinearGradient(u.valToPos(limit, 'x', true) - 1, 0, u.valToPos(limit, 'x', true) + 1, 0);
          g.addColorStop(0, 'hsl(130 60% 42%)');
          g.addColorStop(1, 'hsl(5 70% 50%)');
          return g;
        },
        stroke: 'transparent',
        points: { show: false },
      },
    ],
  };
  return options;
}

/**
 * Cumulative micrographs with a CTF result and good ones, as the API aggregates them over time; with EPU's default
 * order for comparison when a simulation stored it. That curve comes already placed on this axis: each of its points
 * at the acquisition time when SmartEM's session had spent the same beam time, so at any time both lines are the
 * same beam time into the grid. It is drawn up to SmartEM's last micrograph with a CTF result (SmartEM's results
 * come after their micrographs; the curve is sent as the micrographs are taken), so neither line runs ahead.
 */
export function GoodOverTime({
  overTime,
  epuDefault,
  limit,
}: {
  overTime: GridOverview['over_time'];
  epuDefault: GridOverview['epu_default_order'];
  limit: number;
}) {
  const last = overTime.t.at(-1) ?? -Infinity;
  const compared = useMemo(() => {
    if (!epuDefault) return null;
    const k = epuDefault.t.findIndex((t) => t > last);
    const n = k < 0 ? epuDefault.t.length : k;
    return n === 0 ? null : { t: epuDefault.t.slice(0, n), good: epuDefault.good.slice(0, n) };
  }, [epuDefault, last]);
  const data = useMemo<uPlot.AlignedData>(() => {
    if (!compared) return [overTime.t.map((t) => t / 1000), overTime.micrographs, overTime.good];
    // Both curves on one x axis: the union of their times, each series null where it has no point (gaps spanned).
    const xs = [...new Set([...overTime.t, ...compared.t])].sort((a, b) => a - b);
    const column = (ts: number[], vs: number[]) => {
      const at = new Map(ts.map((t, k) => [t, vs[k]!]));
      return xs.map((x) => at.get(x) ?? null);
    };
    return [xs.map((t) => t / 1000), column(overTime.t, overTime.micrographs), column(overTime.t, overTime.good), column(compared.t, compared.good)];
  }, [overTime, compared]);
  const withEpu = compared !== null;
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => ({
    legend: { show: true, live: false },
    axes: [{ label: 'acquisition time (local)' }, { label: 'micrographs' }],
    series: [
      {},
      // Beside EPU's default order, all micrographs would squeeze the two good lines at the bottom: hidden at first
      // (its legend entry shows it).
      { label: 'with CTF result', stroke: '#64748b', width: 1.5, spanGaps: true, show: !withEpu },
      { label: withEpu ? 'good: SmartEM' : `good (CTF ≤ ${limit} Å)`, stroke: 'hsl(130 60% 38%)', width: 2, spanGaps: true },
      ...(withEpu ? [{ label: 'good: EPU default order', stroke: '#d97706', width: 2, dash: [6, 4], spanGaps: true }] : []),
    ],
  }), [limit, withEpu]);
  return (
    <Chart
      name="good-over-time"
      attrs={{ 'data-epu-default-points': String(compared?.t.length ?? 0) }}
      title="Good micrographs over time"
      note={
        withEpu
          ? `Good: CTF ≤ ${limit} Å. Dashed: EPU's default order (every square and hole in EPU's order) on this grid in a simulation, after the same beam time as SmartEM. Click a legend entry to show or hide its line.`
          : undefined
      }
      data={data}
      options={options}
      empty={overTime.t.length === 0 ? 'No CTF results yet.' : null}
    />
  );
}

/** How many of the best and of the worst squares the estimate plot shows when there are more than both. */
const BEST_SHOWN = 30;
const WORST_SHOWN = 10;

interface Estimated {
  id: string;
  mean: number;
  low: number;
  high: number;
  observed: number | null;
}

/**
 * Each square's estimated share of good holes with its 95 % interval, best first, and the observed share beside it;
 * on a large grid the best 30 and the worst 10 (after a gap), so the plot stays small and fast.
 */
export function SquareEstimates({ suggested }: { suggested: Ranking | null }) {
  const shown = useMemo(() => {
    const all: Estimated[] = [];
    for (const s of suggested?.squares ?? []) {
      if (s.p_good_mean === undefined) continue;
      all.push({ id: s.gridsquare_id, mean: s.p_good_mean, low: s.p_good_low ?? s.p_good_mean, high: s.p_good_high ?? s.p_good_mean, observed: s.observed_good_share ?? null });
    }
    all.sort((a, b) => b.mean - a.mean || a.id.localeCompare(b.id));
    const cut = all.length > BEST_SHOWN + WORST_SHOWN;
    // x: position in the plot (a one-slot gap before the worst); rank: place in the best-first order.
    const picked = cut ? [...all.slice(0, BEST_SHOWN), ...all.slice(-WORST_SHOWN)] : all;
    return picked.map((e, k) => ({ ...e, x: cut && k >= BEST_SHOWN ? k + 2 : k + 1, rank: cut && k >= BEST_SHOWN ? all.length - picked.length + k + 1 : k + 1 }));
  }, [suggested]);
  const data = useMemo<uPlot.AlignedData>(() => [shown.map((e) => e.x), shown.map((e) => e.mean), shown.map((e) => e.observed)], [shown]);
  const options = useMemo(() => estimateOptions(shown), [shown]);
  const total = suggested?.squares.filter((s) => s.p_good_mean !== undefined).length ?? 0;
  return (
    <Chart
      name="square-estimates"
      title={`Estimated share of good holes per square${total > shown.length ? ` (best ${BEST_SHOWN} and worst ${WORST_SHOWN} of ${total})` : ''}`}
      note="Blue dot: SmartEM's estimate for the square, bar: 95 % range, green dot: share good so far; best square first."
      data={data}
      options={options}
      empty={shown.length === 0 ? 'No estimates yet.' : null}
    />
  );
}

function estimateOptions(shown: Array<Estimated & { x: number; rank: number }>): Omit<uPlot.Options, 'width' | 'height'> {
  const byX = new Map(shown.map((e) => [e.x, e]));
  const dots = (colour: string, size: number): uPlot.Series => ({ stroke: colour, fill: colour, paths: () => null, points: { show: true, size, stroke: colour, fill: colour } });
  return {
    legend: { show: false },
    scales: { x: { time: false, range: (_u, lo, hi) => [lo - 1, hi + 1] }, y: { range: [0, 1] } },
    axes: [
      // Ticks at whole positions only, labelled by place in the best-first order.
      { label: 'place by estimate (best first)', incrs: [1, 2, 5, 10, 20, 50], values: (_u, splits) => splits.map((v) => byX.get(v)?.rank ?? '') },
      { label: 'good holes', values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`) },
    ],
    series: [{}, { label: 'estimate', ...dots('#2563eb', 6) }, { label: 'observed', ...dots('hsl(130 60% 38%)', 5) }],
    hooks: {
      // The 95 % ranges as vertical bars, drawn after the axes and before (under) the dots.
      drawAxes: [
        (u) => {
          const { ctx } = u;
          ctx.save();
          ctx.strokeStyle = 'rgba(37, 99, 235, 0.45)';
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.beginPath();
          for (const e of shown) {
            const x = u.valToPos(e.x, 'x', true);
            ctx.moveTo(x, u.valToPos(e.low, 'y', true));
            ctx.lineTo(x, u.valToPos(e.high, 'y', true));
          }
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
}
