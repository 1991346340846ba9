import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger, positiveNumber } from '@smartem/common/cli-options';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WithinGroup } from '@smartem/decisions';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CRYORL = resolve(REPO_ROOT, '../shared/decision-data/cryorl');
/** The CryoRL train split beside the repository (CI has it): truth and the ResNet-50 predictions. */
export const CRYORL_TRUTH = `${CRYORL}/target_CTF_Y1_train.csv`;
export const CRYORL_PREDICTIONS = `${CRYORL}/Y1_2_regress_8bit_res50_train_by_hl.txt`;

function withinGroup(v: string): WithinGroup {
  if (v !== 'gradient' && v !== 'quadrant') throw new InvalidArgumentError(`must be gradient or quadrant, got "${v}"`);
  return v;
}

/** `smartem bench decisions …`. */
export function registerBenchDecisionsCommand(bench: Command): void {
  bench
    .command('decisions')
    .description('decision benchmark on CryoRL-format data: baselines beside each decision authority (same starts)')
    .option('--truth <csv>', 'CryoRL truth CSV (name,x,y,ctf,confidence)', CRYORL_TRUTH)
    .option('--predictions <txt>', 'CryoRL predictions TXT (name predicted_ctf); "none" to run without')
    .option('--budget <n>', 'time budget per episode', positiveNumber, 480)
    .option('--starts <n>', 'episodes (seeds 0 … n−1)', positiveInteger, 50)
    .option('--threshold <angstrom>', 'good hole: CTF max resolution ≤ this', positiveNumber, 6)
    .option('--generalisation', 'also run degraded predictions and synthetic grids with other structure')
    .option('--diagnose', 'also print where each policy spends its time: holes visited, hit rate, time per kind of move')
    .option('--margins', 'also run the online learner that learns from the revealed CTF margins (off by default)')
    .option('--within-group <structure>', "online learner's within-group structure: gradient (default) or quadrant", withinGroup)
    .option('--json', 'print one JSON object keyed by policy name (mean, sd, fraction_of_oracle)')
    .action(
      async (opts: {
        truth: string;
        predictions?: string;
        budget: number;
        starts: number;
        threshold: number;
        json?: boolean;
        generalisation?: boolean;
        diagnose?: boolean;
        margins?: boolean;
        withinGroup?: WithinGroup;
      }) => {
        const { runBench } = await import('@smartem/decisions');
        let predictions = opts.predictions;
        if (predictions === undefined && opts.truth === CRYORL_TRUTH && existsSync(CRYORL_PREDICTIONS)) predictions = CRYORL_PREDICTIONS;
        if (predictions === 'none') predictions = undefined;
        for (const [flag, path] of [
          ['--truth', opts.truth],
          ['--predictions', predictions],
        ] as const) {
          if (path !== undefined && !existsSync(path)) {
            console.error(`smartem bench decisions: ${flag} file not found: ${path}`);
            process.exitCode = 2;
            return;
          }
        }
        try {
          const out = await runBench({
            truth: opts.truth,
            predictions,
            budget: opts.budget,
            starts: Math.floor(opts.starts),
            threshold: opts.threshold,
            json: Boolean(opts.json),
            generalisation: Boolean(opts.generalisation),
            diagnose: Boolean(opts.diagnose),
            margins: Boolean(opts.margins),
            withinGroup: opts.withinGroup,
            print: opts.json ? (l) => console.error(l) : (l) => console.log(l),
          });
          if (opts.json) console.log(JSON.stringify(out));
        } catch (err) {
          console.error(`smartem bench decisions: ${(err as Error).message}`);
          process.exitCode = 1;
        }
      },
    );
}
