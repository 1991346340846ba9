/** Plots with uPlot (Canvas, ~50 kB): a histogram and a line over time. */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GridOverview } from './api.ts';

interface ChartProps {
  title: string;
  data: uPlot.AlignedData;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  height?: number;
  /** Text shown instead of the plot when there is nothing to plot. */
  empty?: string | null;
}

function Chart({ title, data, options, height = 180, empty }: ChartProps) {
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
    <figure className="chart">
      <figcaption>{title}</figcaption>
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

/** Cumulative micrographs with a CTF result and good ones, as the API aggregates them over time. */
export function GoodOverTime({ overTime, limit }: { overTime: GridOverview['over_time']; limit: number }) {
  const data = useMemo<uPlot.AlignedData>(() => [overTime.t.map((t) => t / 1000), overTime.micrographs, overTime.good], [overTime]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => ({
    legend: { show: true, live: false },
    axes: [{ label: 'acquisition time (local)' }, { label: 'micrographs' }],
    series: [
      {},
      { label: 'with CTF result', stroke: '#64748b', width: 1.5 },
      { label: `good (CTF ≤ ${limit} Å)`, stroke: 'hsl(130 60% 38%)', width: 2 },
    ],
  }), [limit]);
  return <Chart title="Good micrographs over time" data={data} options={options} empty={overTime.t.length === 0 ? 'No CTF results yet.' : null} />;
}
