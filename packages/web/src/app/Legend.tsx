import { shareColour } from './model.ts';

/** The red → green ramp with the value at each end (`bad` on the red end) and what it measures. */
export function ScaleLegend({ bad, good, caption }: { bad: string; good: string; caption: string }) {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => shareColour(t)).join(', ');
  return (
    <span className="swatch-label scale">
      <span className="muted">worse</span> {bad} <i className="ramp" style={{ background: `linear-gradient(to right, ${stops})` }} /> {good} <span className="muted">better — {caption}; light grey: no data</span>
    </span>
  );
}
