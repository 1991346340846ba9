/** Plots with uPlot (Canvas, ~50 kB): a histogram and a line over time. */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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

/** Counts per bin of `values` from `lo` in steps of `step`; the last bin collects everything above `hi`. */
export function histogram(values: number[], lo: number, hi: number, step: number): { edges: number[]; counts: number[] } {
  const n = Math.ceil((hi - lo) / step);
  const counts = new Array<number>(n + 1).fill(0);
  for (const v of values) counts[Math.max(0, Math.min(n, Math.floor((v - lo) / step)))]++;
  return { edges: counts.map((_, k) => lo + k * step), counts };
}

export function CtfHistogram({ ctf, limit }: { ctf: number[]; limit: number }) {
  const hi = Math.max(limit * 2, 10);
  const data = useMemo<uPlot.AlignedData>(() => {
    const { edges, counts } = histogram(ctf, 0, hi, 0.5);
    return [edges, counts];
  }, [ctf, hi]);
  const options = useMemo(() => histogramOptions(limit, hi), [limit, hi]);
  return <Chart title={`CTF max resolution per micrograph (green: good, ≤ ${limit} Å)`} data={data} options={options} empty={ctf.length === 0 ? 'No CTF results yet.' : null} />;
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

export function GoodOverTime({ t, ctf, limit }: { t: number[]; ctf: number[]; limit: number }) {
  const data = useMemo<uPlot.AlignedData>(() => {
    const xs: number[] = [];
    const good: number[] = [];
    const all: number[] = [];
    let g = 0;
    for (let k = 0; k < t.length; k++) {
      if (ctf[k] <= limit) g++;
      xs.push(t[k] / 1000);
      good.push(g);
      all.push(k + 1);
    }
    return [xs, all, good];
  }, [t, ctf, limit]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => ({
    legend: { show: true, live: false },
    axes: [{ label: 'acquisition time (local)' }, { label: 'micrographs' }],
    series: [
      {},
      { label: 'with CTF result', stroke: '#64748b', width: 1.5 },
      { label: `good (CTF ≤ ${limit} Å)`, stroke: 'hsl(130 60% 38%)', width: 2 },
    ],
  }), [limit]);
  return <Chart title="Good micrographs over time" data={data} options={options} empty={t.length === 0 ? 'No CTF results yet.' : null} />;
}
