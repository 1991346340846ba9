import { Option, type Command } from 'commander';
import { guarded } from '@smartem/common/cli-guard';
import { nonNegativeInteger, nonNegativeNumber, positiveNumber } from '@smartem/common/cli-options';
import type { VisitOptions } from './model.ts';
import type { GeneratedVisit } from './summary.ts';
import type { PlaySummary } from './play.ts';

interface VisitFlags {
  squares: number;
  holesPerSquare: number;
  shotsPerHole: number;
  seed: number;
  atlas: boolean;
  qualityMap?: string;
  grids: number;
  json?: boolean;
}

function withVisitOptions(cmd: Command): Command {
  return cmd
    .option('--squares <n>', 'grid squares collected per grid (the atlas shows ~2.5× more)', nonNegativeInteger, 4)
    .option('--holes-per-square <n>', 'foil holes collected per square', nonNegativeInteger, 10)
    .option('--shots-per-hole <n>', 'micrographs per foil hole (4–10 in real visits)', nonNegativeInteger, 4)
    .option('--seed <n>', 'random seed: the same seed writes the same bytes', nonNegativeInteger, 1)
    .option('--grids <n>', 'grids (EPU sessions) sharing one atlas session', nonNegativeInteger, 1)
    .option('--quality-map <file>', 'CSV grid of true qualities 0..1 laid over the atlas (default: built-in field)')
    .option('--atlas', 'write the atlas tile images beside Atlas.dm (default)')
    .option('--no-atlas', 'write only Atlas.dm, no tile images')
    .option('--json', 'print the summary as JSON on stdout');
}

function visitOptions(flags: VisitFlags): VisitOptions {
  return {
    squares: flags.squares,
    holesPerSquare: flags.holesPerSquare,
    shotsPerHole: flags.shotsPerHole,
    seed: flags.seed,
    atlas: flags.atlas,
    grids: flags.grids,
    ...(flags.qualityMap === undefined ? {} : { qualityMap: flags.qualityMap }),
  };
}

function printSummary(result: GeneratedVisit, verb: string, json: boolean | undefined): void {
  if (json) {
    const { grids, ...rest } = result;
    const slimGrids = grids.map(({ gridSquareIds, collectedGridSquareIds, foilHoleIds, micrographIds, ...g }) => ({
      ...g,
      gridSquareIds,
      collectedGridSquareIds,
      foilHoleIds: foilHoleIds.length,
      micrographIds: micrographIds.length,
    }));
    process.stdout.write(`${JSON.stringify({ ...rest, grids: slimGrids }, null, 2)}\n`);
    return;
  }
  const c = result.counts;
  const seconds = result.elapsedMs / 1000;
  process.stdout.write(
    `${verb} visit ${result.visitName} in ${result.root} (seed ${result.seed}) in ${seconds.toFixed(1)} s — ` +
      `${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB, ${Math.round(result.files / Math.max(seconds, 0.001))} files/s\n` +
      `  grids ${result.grids.length}, atlas tiles ${c.atlasTiles}, grid squares ${c.gridSquares} (collected ${c.gridSquaresCollected}), ` +
      `foil holes ${c.foilHoles} (collected ${c.foilHolesCollected}, ${c.foilHoleManifests} FoilHole manifests), micrographs ${c.micrographs}\n` +
      result.grids.map((g) => `  ${g.dir}\n`).join('') +
      `  ground truth: ${result.groundTruthCsv}\n`,
  );
}

interface PlayFlags {
  speed: number;
  fast?: boolean;
  maxDelay?: number;
  athena?: string;
  decisionTimeout: number;
  truth?: string;
  budget?: number;
  prepareSquares?: boolean;
  recheckHoles?: boolean;
  api?: string;
  feedbackDelay: number;
}

function printAcquisition(result: PlaySummary): void {
  const a = result.acquisition;
  if (a) {
    const hours = result.simulatedMs / 3_600_000;
    process.stdout.write(
      `  acquisition: ${a.holesCollected} holes collected, ${a.goodHoles} good (truth: ${a.truthSource}), ` +
        `beam time ${a.beamTime}${a.budget === null ? '' : ` of ${a.budget}${a.budgetSpent ? ' (spent)' : ''}`}, ` +
        `${hours.toFixed(2)} simulated h\n` +
        `  squares: ${a.squaresCollected} collected (order ${a.squareOrder.join(' ')}), ${a.squaresSkipped} skipped; ` +
        `holes deselected: ${a.holesDeselected}; Decision Service: ${a.decisionsFound} of ${a.decisionQueries} queries answered` +
        `${a.decisionServiceUnavailable > 0 ? `, ${a.decisionServiceUnavailable} calls failed (unreachable)` : ''}\n`,
    );
  }
  const f = result.feedback;
  if (f) process.stdout.write(`  processing feedback: ${f.sent} micrographs sent, ${f.failed} failed, ${f.pending} dropped\n`);
}

function progressLine(enabled: boolean) {
  return (done: number, total: number): void => {
    if (enabled) process.stderr.write(`\r  ${done}/${total} files (${Math.round((100 * done) / Math.max(total, 1))} %)   `);
  };
}

/** Registers this tool's commands under `smartem tools`. */
export function registerEpuSimCommands(tools: Command): void {
  const sim = tools.command('epu-sim').description('EPU session simulator: realistic EPU output at any scale');
  withVisitOptions(sim.command('generate').argument('<out>', 'output directory (the visit root)'))
    .description('write a complete visit at once')
    .action(
      guarded('epu-sim generate', async (out: string, flags: VisitFlags) => {
        const { generateVisit } = await import('./generate.ts');
        const tty = process.stderr.isTTY === true;
        const result = await generateVisit({ out, ...visitOptions(flags), onProgress: progressLine(tty) });
        if (tty) process.stderr.write('\n');
        printSummary(result, 'generated', flags.json);
      }),
    );
  withVisitOptions(sim.command('play').argument('<out>', 'output directory (the visit root)'))
    .description('write the visit over time, the way EPU writes it')
    .addOption(new Option('--speed <x>', 'simulated seconds per real second').argParser(positiveNumber).default(1).conflicts('fast'))
    .addOption(new Option('--fast', 'no waiting: keep the order, bursts and chunked writes only'))
    .option('--max-delay <seconds>', 'longest single wait', positiveNumber)
    .option('--athena <url>', 'obey this Athena Decision Service: ask before each square and its holes (one grid)')
    .option(
      '--decision-timeout <seconds>',
      'how long each TimedDecision waits for a decision (whole real seconds; the simulated clock stands still)',
      nonNegativeInteger,
      1,
    )
    .option('--truth <csv>', 'CryoRL truth file laid over the visit (one square per truth square); default: the simulated quality')
    .option(
      '--budget <units>',
      'stop once this much beam time is spent (bench units: 1 same patch, 2 same square, 6 same tile, 8 other)',
      positiveNumber,
    )
    .option(
      '--no-prepare-squares',
      'with --athena, --truth or --budget: image each square and find its holes only when it is chosen (default: all first)',
    )
    .option(
      '--no-recheck-holes',
      "with --athena: read a square's hole selection once, when it starts (default: again before each hole, no wait)",
    )
    .option('--api <url>', 'send processing results (motion, CTF, particles) of each micrograph to this backend')
    .option('--feedback-delay <seconds>', 'simulated seconds from a micrograph to its processing results', nonNegativeNumber, 300)
    .action(
      guarded('epu-sim play', async (out: string, flags: VisitFlags & PlayFlags) => {
        const { playVisit } = await import('./play.ts');
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const tty = process.stderr.isTTY === true;
        const line = progressLine(tty);
        const result = await playVisit({
          out,
          ...visitOptions(flags),
          speed: flags.speed,
          fast: flags.fast ?? false,
          ...(flags.maxDelay === undefined ? {} : { maxDelayMs: flags.maxDelay * 1000 }),
          signal: controller.signal,
          onProgress: (p) => line(p.files, p.total),
          ...(flags.athena === undefined ? {} : { athena: { url: flags.athena, timeoutSeconds: flags.decisionTimeout } }),
          ...(flags.truth === undefined ? {} : { truth: flags.truth }),
          ...(flags.budget === undefined ? {} : { budget: flags.budget }),
          prepareSquares: flags.prepareSquares,
          recheckHoles: flags.recheckHoles,
          ...(flags.api === undefined ? {} : { feedback: { api: flags.api, delayMs: flags.feedbackDelay * 1000 } }),
        });
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (tty) process.stderr.write('\n');
        printSummary(result, result.aborted ? 'stopped playing' : 'played', flags.json);
        if (!flags.json) printAcquisition(result);
      }),
    );
}
export { registerFsrecorderCommands } from './fsrecorder/cli.ts';
