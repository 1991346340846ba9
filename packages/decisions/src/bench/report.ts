import type { PolicyResult } from './policies.ts';

export function formatTable(title: string, results: Record<string, PolicyResult>): string {
  const width = Math.max(...Object.keys(results).map((n) => n.length), 6);
  const lines = [title, `${'policy'.padEnd(width)}  ${'good holes'.padStart(14)}  fraction of oracle`];
  for (const [name, r] of Object.entries(results)) {
    lines.push(`${name.padEnd(width)}  ${`${r.mean.toFixed(1)} ± ${r.sd.toFixed(1)}`.padStart(14)}  ${r.fraction_of_oracle.toFixed(3)}`);
  }
  return lines.join('\n');
}

/** The issue's targets, measured in the same run. */
export function targetLines(results: Record<string, PolicyResult>): string[] {
  const lines: string[] = [];
  const sys = results.systematic;
  const learner = results['online-learner'];
  if (sys && learner) {
    const ratio = learner.mean / sys.mean;
    lines.push(
      `without predictions: online-learner / systematic = ${ratio.toFixed(3)} (target ≥ 1.4: ${ratio >= 1.4 ? 'met' : 'NOT met'})`,
    );
  }
  const greedy = results['greedy-predictions'];
  const withPred = results['online-learner+predictions'];
  if (greedy && withPred) {
    const ratio = withPred.mean / greedy.mean;
    const frac = withPred.fraction_of_oracle;
    lines.push(
      `with predictions: online-learner+predictions / greedy-predictions = ${ratio.toFixed(3)} (target ≥ 1.05: ${ratio >= 1.05 ? 'met' : 'NOT met'}), ` +
        `fraction of oracle = ${frac.toFixed(3)} (target ≥ 0.90: ${frac >= 0.9 ? 'met' : 'NOT met'})`,
    );
  }
  return lines;
}

/** Our best authority's figure as a fraction of oracle: the headline, printed last. */
export function headline(results: Record<string, PolicyResult>, ours: readonly string[]): string {
  const best = ours.filter((n) => results[n]).sort((a, b) => results[b].mean - results[a].mean)[0];
  if (!best) return 'no authority was run';
  const r = results[best];
  return `best: ${best} ${r.mean.toFixed(1)} good holes = ${r.fraction_of_oracle.toFixed(3)} of oracle`;
}

/**
 * Where each policy's time goes (means over the episodes): holes visited, fraction of them good, and time spent per
 * kind of move (the protocol's costs: 1 same patch, 2 other patch, 6 other square, 8 other atlas tile).
 */
export function formatDiagnosis(results: Record<string, PolicyResult>): string {
  const width = Math.max(...Object.keys(results).map((n) => n.length), 6);
  const kinds = [1, 2, 6, 8];
  const lines = [`${'policy'.padEnd(width)}  visited  hit rate  time: same patch / other patch / other square / other tile`];
  for (const [name, r] of Object.entries(results)) {
    const n = r.traces.length;
    const visited = r.traces.reduce((a, t) => a + t.visited, 0) / n;
    const time = kinds.map((k) => (r.traces.reduce((a, t) => a + (t.timeByMove[k] ?? 0), 0) / n).toFixed(1));
    lines.push(
      `${name.padEnd(width)}  ${visited.toFixed(1).padStart(7)}  ${(r.mean / visited).toFixed(3).padStart(8)}  ${time.join(' / ')}`,
    );
  }
  return lines.join('\n');
}
