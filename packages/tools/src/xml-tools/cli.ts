import type { Command } from 'commander';
import { verboseOption } from '@smartem/common/cli-options';

/** Registers `smartem tools format-xml` and `smartem tools find-foilhole-duplicates`. */
export function registerXmlToolsCommands(tools: Command): void {
  tools
    .command('format-xml')
    .description(
      'pretty-print EPU .dm/.xml files in place (2-space indent); files that are not well-formed are reported and left untouched',
    )
    .argument('<paths...>', 'files or directories (a directory: its .dm/.xml files)')
    .option('-r, --recursive', 'include files in subdirectories')
    .option('-d, --dry-run', 'only list the files that would be formatted')
    .option('-b, --backup', 'keep a copy <file>.<YYYYmmdd_HHMMSS>.bak before rewriting')
    .addOption(verboseOption('more output'))
    .action(async (paths: string[], options: { recursive?: boolean; dryRun?: boolean; backup?: boolean; verbose: number }) => {
      const { runFormatXml } = await import('./format-xml-cli.ts');
      process.exitCode = await runFormatXml(paths, options);
    });

  tools
    .command('find-foilhole-duplicates')
    .description('list foil holes with several FoilHoles/FoilHole_<id>_<date>_<time>.xml manifests at different times')
    .argument('[directory]', 'directory to search', '.')
    .option('-f, --format <format>', 'standard | json | summary', 'standard')
    .option('--no-color', 'no ANSI colours')
    .addOption(verboseOption('statistics per foil hole'))
    .action(async (directory: string, options: { format: string; color: boolean; verbose: number }) => {
      const { findFoilholeDuplicates, renderStandard, renderSummary, style } = await import('./foilhole-duplicates.ts');
      if (!['standard', 'json', 'summary'].includes(options.format)) {
        process.stderr.write(`error: --format must be standard, json or summary, got ${options.format}\n`);
        process.exitCode = 1;
        return;
      }
      try {
        const report = await findFoilholeDuplicates(directory);
        const s = style(options.color && Boolean(process.stdout.isTTY));
        if (options.format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (report.summary.total_groups === 0) process.stdout.write('No duplicates found\n');
        else if (options.format === 'summary') process.stdout.write(`${renderSummary(report, s)}\n`);
        else process.stdout.write(`${renderStandard(report, s, options.verbose > 0)}\n`);
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
