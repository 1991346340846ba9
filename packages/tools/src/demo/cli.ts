import type { Command } from 'commander';
import { nonNegativeInteger, portNumber, positiveInteger, positiveNumber, verboseOption } from '@smartem/common/cli-options';

/** `smartem demo` (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the closed loop in one command: embedded backend, Athena stand-in, agent in auto mode, and a simulated EPU visit ' +
        "that follows SmartEM's decisions and sends processing results back; good holes so far beside EPU's default order " +
        '(what `npm start` runs)',
    )
    .option('--squares <n>', 'grid squares collected', positiveInteger, 6)
    .option('--holes-per-square <n>', 'foil holes collected per square', positiveInteger, 20)
    .option('--shots-per-hole <n>', 'micrographs per foil hole', positiveInteger, 2)
    .option('--seed <n>', 'simulator seed', nonNegativeInteger, 1)
    .option('--speed <x>', 'simulated seconds per real second', positiveNumber, 300)
    .option('--budget <n>', 'beam time (decision benchmark units; default half the holes)', positiveNumber)
    .option('--truth <csv>', "a CryoRL truth file instead of the simulator's own ground truth")
    .option('--dir <dir>', 'keep everything (visit, database, journal) in this directory instead of a temporary one')
    .option('--port <n>', 'backend port (0: any free port)', portNumber, 0)
    .option('--keep', 'leave the backend running after the visit (Ctrl-C to stop)')
    .option('--timeout <s>', 'stop the visit (exit 1) after this many seconds', positiveNumber, 300)
    .addOption(verboseOption())
    .action(
      async (o: {
        squares: number;
        holesPerSquare: number;
        shotsPerHole: number;
        seed: number;
        speed: number;
        budget?: number;
        truth?: string;
        dir?: string;
        port: number;
        keep?: boolean;
        timeout: number;
        verbose: number;
      }) => {
        const { runDemo } = await import('./run.ts');
        process.exitCode = await runDemo({
          squares: o.squares,
          holesPerSquare: o.holesPerSquare,
          shotsPerHole: o.shotsPerHole,
          seed: o.seed,
          speed: o.speed,
          budget: o.budget,
          truth: o.truth,
          dir: o.dir,
          port: o.port,
          keep: Boolean(o.keep),
          timeoutSec: o.timeout,
          verbose: o.verbose,
        });
      },
    );
}
