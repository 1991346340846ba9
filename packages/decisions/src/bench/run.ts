import type { WithinGroup } from '../online-learner.ts';
import { loadCryoRl, type BenchDataset } from './dataset.ts';
import { indexDataset } from './episode.ts';
import { benchPolicies, OUR_POLICIES, runPolicies, type PolicyResult } from './policies.ts';
import { formatDiagnosis, formatTable, headline, targetLines } from './report.ts';
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
  /** Also print where each policy's time goes (holes visited, hit rate, time per kind of move). */
  diagnose?: boolean;
  /** Also run the learner that uses the revealed CTF margins. */
  margins?: boolean;
  /** The online learner's within-group structure (its default when omitted). */
  withinGroup?: WithinGroup;
  /** Progress and secondary tables go here (stderr with --json). */
  print: (line: string) => void;
}

function runOne(
  dataset: BenchDataset,
  o: BenchOptions,
  scope: 'full' | 'compact' | 'predictions' = 'full',
  starts = o.starts,
): Record<string, PolicyResult> {
  const g = indexDataset(dataset, o.threshold);
  return runPolicies(g, benchPolicies(g.hasPredictions, scope, o.margins, o.withinGroup), o.budget, starts);
}

/** Episodes per generalisation scenario: fewer than the main table so the whole run stays within minutes. */
const GENERALISATION_STARTS = 20;

function summary(results: Record<string, PolicyResult>): string {
  const parts: string[] = [];
  const mean = (n: string): number => results[n]?.mean ?? NaN;
  for (const n of ['systematic', 'greedy-predictions', 'oracle']) if (results[n]) parts.push(`${n} ${mean(n).toFixed(1)}`);
  if (results['online-learner']) {
    parts.push(
      `online-learner ${mean('online-learner').toFixed(1)} (${(mean('online-learner') / mean('systematic')).toFixed(2)}× systematic)`,
    );
  }
  if (results['online-learner+margins']) parts.push(`online-learner+margins ${mean('online-learner+margins').toFixed(1)}`);
  for (const n of ['model-weighting+predictions', 'online-learner+predictions', 'online-learner+predictions+margins']) {
    if (!results[n]) continue;
    parts.push(
      `${n} ${mean(n).toFixed(1)} (${(mean(n) / mean('greedy-predictions')).toFixed(2)}× greedy, ${results[n].fraction_of_oracle.toFixed(2)} of oracle)`,
    );
  }
  return parts.join(', ');
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
    const structure = o.withinGroup ? `, online learner within groups: ${o.withinGroup}` : '';
    o.print(
      formatTable(
        `${dataset.name}: ${dataset.holes.length} holes, budget ${o.budget}, ${o.starts} starts, good ≤ ${o.threshold} Å${structure}`,
        results,
      ),
    );
    for (const line of targets) o.print(line);
    if (o.diagnose) o.print(formatDiagnosis(results));
  }
  if (o.generalisation) {
    const scenarios: Record<string, unknown> = {};
    const extra: Array<{ d: BenchDataset; scope: 'compact' | 'predictions' }> = [];
    if (o.predictions) extra.push(...DEGRADATIONS.map((d) => ({ d: degrade(dataset, d), scope: 'predictions' as const })));
    extra.push(...SYNTHETIC_SCENARIOS.map((s) => ({ d: syntheticDataset(s), scope: 'compact' as const })));
    o.print(`generalisation (seeds 0–${Math.min(o.starts, GENERALISATION_STARTS) - 1}, same code and constants):`);
    for (const { d, scope } of extra) {
      const r = runOne(d, o, scope, Math.min(o.starts, GENERALISATION_STARTS));
      scenarios[d.name] = clean(r);
      o.print(`${d.name} (${d.holes.length} holes, ${d.holes.filter((h) => h.ctf <= o.threshold).length} good): ${summary(r)}`);
    }
    if (o.json) out.generalisation = scenarios;
  }
  if (!o.json) o.print(headline(results, OUR_POLICIES));
  return out;
}
