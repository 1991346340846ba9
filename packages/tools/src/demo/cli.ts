import type { Command } from 'commander';

/** `smartem demo` (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole loop on a simulated EPU visit (what `npm start` runs)')
    .action(() => {
      program.outputHelp();
    });
}
