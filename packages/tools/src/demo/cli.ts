import type { Command } from 'commander';
import { nonNegativeInteger, portNumber, positiveInteger, positiveNumber, verboseOption } from '@smartem/common/cli-options';

/** `smartem demo` (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole loop in one command: embedded backend, a simulated EPU visit played at high speed into a temporary ' +
        'directory, the agent watching it, live counts from the backend until everything is ingested (what `npm start` runs)',
    )
    .option('--squares <n>', 'grid squares collected per grid', positiveInteger, 4)
    .option('--holes-per-square <n>', 'foil holes collected per square', positiveInteger, 8)
    .option('--shots-per-hole <n>', 'micrographs per foil hole', positiveInteger, 3)
    .option('--grids <n>', 'grids (EPU sessions) sharing one atlas', positiveInteger, 2)
    .option('--seed <n>', 'simulator seed', nonNegativeInteger, 1)
    .option('--speed <x>', 'simulated seconds per real second', positiveNumber, 3000)
    .option('--fast', 'write the visit without pauses (order, chunks and rewrites kept)')
    .option('--dir <dir>', 'keep everything (visit, database, journal) in this directory instead of a temporary one')
    .option('--port <n>', 'backend port (0: any free port)', portNumber, 0)
    .option('--keep', 'leave the backend and the agent running after the visit is ingested (Ctrl-C to stop)')
    .option('--timeout <s>', 'give up (exit 1) if the visit is not ingested after this many seconds', positiveNumber, 300)
    .addOption(verboseOption())
    .action(
      async (o: {
        squares: number;
        holesPerSquare: number;
        shotsPerHole: number;
        grids: number;
        seed: number;
        speed: number;
        fast?: boolean;
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
          grids: o.grids,
          seed: o.seed,
          speed: o.speed || 1,
          fast: Boolean(o.fast),
          dir: o.dir,
          port: o.port,
          keep: Boolean(o.keep),
          timeoutSec: o.timeout,
          verbose: o.verbose,
        });
      },
    );
}
