import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { positiveInteger, positiveNumber, nonNegativeInteger, verboseOption } from '@smartem/common/cli-options';
import { CRYORL_PREDICTIONS, CRYORL_TRUTH } from '../bench-decisions/cli.ts';

/** `smartem bench closed-loop …`. */
export function registerBenchClosedLoopCommand(bench: Command): void {
  bench
    .command('closed-loop')
    .description(
      'the real loop (embedded backend, agent in auto mode, Athena stand-in, EPU simulator obeying it, processing feedback) ' +
        'against EPU default order on the same grid, budget and starting squares; offline figure and decision latency beside',
    )
    .option('--truth <csv>', 'CryoRL truth CSV (name,x,y,ctf,confidence)', CRYORL_TRUTH)
    .option(
      '--predictions <txt>',
      `CryoRL predictions TXT (name predicted_ctf), posted to the live backend as holes are found; the offline figure is then online-learner+predictions ("cryorl": ${CRYORL_PREDICTIONS})`,
    )
    .option('--budget <n>', 'beam-time budget per visit (the decision benchmark units)', positiveNumber, 480)
    .option('--starts <n>', 'starting points (seeds 0 … n−1, as bench decisions); means reported', positiveInteger, 3)
    .option('--speed <x>', 'simulated seconds per real second for the SmartEM visit', positiveNumber, 200)
    .option('--feedback-delay <s>', 'simulated seconds from a micrograph to its processing results', positiveNumber, 300)
    .option(
      '--decision-timeout <s>',
      'whole real seconds the simulator waits for each decision, its simulated clock stopped',
      nonNegativeInteger,
      5,
    )
    .option('--no-prepare-squares', 'both visits image each square and find its holes only when they come to it (default: all first)')
    .option('--no-recheck-holes', "SmartEM's visit reads a square's hole selection once, when it starts (default: before each hole)")
    .option('--shots-per-hole <n>', 'micrographs per foil hole', positiveInteger, 4)
    .option('--athena-log <file>', 'the Decision Service records every request into this file (JSON lines with times)')
    .option('--json', 'print the result as one JSON object on the last line')
    .addOption(verboseOption())
    .action(
      async (o: {
        truth: string;
        predictions?: string;
        budget: number;
        starts: number;
        speed: number;
        feedbackDelay: number;
        decisionTimeout: number;
        prepareSquares?: boolean;
        recheckHoles?: boolean;
        shotsPerHole: number;
        athenaLog?: string;
        json?: boolean;
        verbose: number;
      }) => {
        const predictions = o.predictions === 'cryorl' ? CRYORL_PREDICTIONS : o.predictions;
        for (const [flag, path] of [
          ['--truth', o.truth],
          ['--predictions', predictions],
        ] as const) {
          if (path !== undefined && !existsSync(path)) {
            const hint =
              path === CRYORL_TRUTH ? ' (the CryoRL data beside the repository, ../shared/decision-data/cryorl; or pass --truth)' : '';
            console.error(`smartem bench closed-loop: ${flag} file not found: ${path}${hint}`);
            process.exitCode = 2;
            return;
          }
        }
        const { runClosedLoop } = await import('./run.ts');
        const { createLogger } = await import('@smartem/common');
        try {
          const out = await runClosedLoop({
            truth: o.truth,
            predictions,
            budget: o.budget,
            starts: o.starts,
            speed: o.speed,
            feedbackDelayS: o.feedbackDelay,
            decisionTimeoutS: o.decisionTimeout,
            prepareSquares: o.prepareSquares ?? true,
            recheckHoles: o.recheckHoles ?? true,
            shotsPerHole: o.shotsPerHole,
            athenaLog: o.athenaLog,
            log: createLogger({ level: o.verbose >= 2 ? 'debug' : o.verbose === 1 ? 'info' : 'error', name: 'closed-loop' }),
            print: o.json ? (l) => console.error(l) : (l) => console.log(l),
          });
          if (o.json) console.log(JSON.stringify(out));
        } catch (err) {
          console.error(`smartem bench closed-loop: ${(err as Error).message}`);
          process.exitCode = 1;
        }
      },
    );
}
