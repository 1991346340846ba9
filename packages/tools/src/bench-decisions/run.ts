import { loadCryoRl, type BenchDataset } from './dataset.ts';
import { indexDataset } from './episode.ts';
import { benchPolicies, OUR_POLICIES, runPolicies, type PolicyResult } from './policies.ts';
import { formatTable, headline, targetLines } from './report.ts';
import { degrade, DEGRADATIONS, SYNTHETIC_SCENARIOS, syntheticDataset } from './synthetic.ts';

export interface BenchOptions {
  truth: string;
  predictions?: string;
  budget: number;
  starts: number;
  threshold: number;
  json: boolean;
  /** Also run the degraded-prediction and synthetic-grid scenarios. */
  generalisation: boolean;
  /** Progress and secondary tables go here (stderr with --json). */
  print: (line: string) => void;
}

function runOne(dataset: BenchDataset, o: BenchOptions): Record<string, PolicyResult> {
  const g = indexDataset(dataset, o.threshold);
  return runPolicies(g, benchPolicies(g.hasPredictions), o.budget, o.starts);
}

function summary(results: Record<string, PolicyResult>): string {
  const pick = (n: string): string => (results[n] ? results[n].mean.toFixed(1) : '–');
  const sys = results['systematic']?.mean ?? NaN;
  const greedy = results['greedy-predictions']?.mean ?? NaN;
  const learner = results['online-learner']?.mean ?? NaN;
  const withPred = results['online-learner+predictions'];
  return (
    `systematic ${pick('systematic')}  greedy ${pick('greedy-predictions')}  oracle ${pick('oracle')}  ` +
    `learner ${pick('online-learner')} (${(learner / sys).toFixed(2)}× systematic)  ` +
    `learner+pred ${pick('online-learner+predictions')} (${((withPred?.mean ?? NaN) / greedy).toFixed(2)}× greedy, ` +
    `${(withPred?.fraction_of_oracle ?? NaN).toFixed(2)} of oracle)`
  );
}

/** The benchmark of shared/decision-data/README.md; returns the JSON object (policy name → figures). */
export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  const dataset = await loadCryoRl(o.truth, o.predictions);
  const results = runOne(dataset, o);
  const clean = (r: Record<string, PolicyResult>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { mean: v.mean, sd: v.sd, fraction_of_oracle: v.fraction_of_oracle }]));
  const out: Record<string, unknown> = clean(results);
  const targets = targetLines(results);
  if (!o.json) {
    o.print(formatTable(`${dataset.name}: ${dataset.holes.length} holes, budget ${o.budget}, ${o.starts} starts, good ≤ ${o.threshold} Å`, results));
    for (const line of targets) o.print(line);
  }
  if (o.generalisation) {
    const scenarios: Record<string, unknown> = {};
    const extra: BenchDataset[] = [];
    if (o.predictions) extra.push(...DEGRADATIONS.map((d) => degrade(dataset, d)));
    extra.push(...SYNTHETIC_SCENARIOS.map(syntheticDataset));
    for (const d of extra) {
      const r = runOne(d, o);
      scenarios[d.name] = clean(r);
      o.print(`${d.name} (${d.holes.length} holes, ${d.holes.filter((h) => h.ctf <= o.threshold).length} good): ${summary(r)}`);
    }
    if (o.json) out['generalisation'] = scenarios;
  }
  if (!o.json) o.print(headline(results, OUR_POLICIES));
  return out;
}
