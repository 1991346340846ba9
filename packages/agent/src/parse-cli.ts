import type { Command } from 'commander';
import { nonNegativeInteger, verboseOption } from '@smartem/common/cli-options';
import type { EpuFileKind } from '@smartem/epu';

interface Options {
  json?: boolean;
  entities?: boolean;
  verbose: number;
  workers?: number;
}

/** Per-file subcommands → the file kind they parse. */
const FILE_COMMANDS: [command: string, kind: EpuFileKind, what: string][] = [
  ['session', 'session', 'EpuSession.dm files'],
  ['atlas', 'atlas', 'Atlas.dm files (atlas, tiles, grid-square positions)'],
  ['gridsquare-metadata', 'gridsquare-metadata', 'Metadata/GridSquare_<id>.dm files (square metadata and foil-hole positions)'],
  ['gridsquare', 'gridsquare-manifest', 'Images-Disc<N>/GridSquare_<id>/GridSquare_<date>_<time>.xml manifests'],
  ['foilhole', 'foilhole-manifest', '…/FoilHoles/FoilHole_<id>_<date>_<time>.xml manifests'],
  ['micrograph', 'micrograph-manifest', '…/Data/FoilHole_<id>_Data_<loc>_<n>_<date>_<time>.xml manifests'],
];

async function setUpLogging(verbose: number): Promise<void> {
  const { createLogger, levelFromVerbosity } = await import('@smartem/common');
  createLogger({ level: levelFromVerbosity(verbose) });
}

/** `smartem agent parse …` and `smartem agent validate`. */
export function registerParseCommands(agent: Command): void {
  const parse = agent.command('parse').description('parse EPU output: a whole directory or individual files (no backend needed)');

  parse
    .command('dir')
    .description('parse every grid (EpuSession.dm) below DIR with its atlas, squares, foil holes and micrographs')
    .argument('<dir>', 'EPU output directory: a visit holding grid directories, or one grid directory')
    .option('--json', 'print one JSON object: counts, grids, orphans, warnings, errors')
    .option('--entities', 'with --json: also the entities `agent watch` would send for this tree ({key, kind, parents, fields})')
    .option('--workers <n>', 'parser worker threads (default: one per core; 0 = none)', nonNegativeInteger)
    .addOption(verboseOption())
    .action(async (dir: string, options: Options) => {
      process.exitCode = await runParseDir(dir, options);
    });

  for (const [command, kind, what] of FILE_COMMANDS) {
    parse
      .command(command)
      .description(`parse ${what}; exits 1 if any file cannot be parsed`)
      .argument('<paths...>', 'files to parse')
      .option('--json', 'print one JSON array of records in argument order (a failed file: {"path", "error"})')
      .addOption(verboseOption())
      .action(async (paths: string[], options: Options) => {
        process.exitCode = await runParseFiles(kind, paths, options);
      });
  }

  agent
    .command('validate')
    .description('check that DIR is a structurally valid EPU grid directory (or a visit of them); exits 1 and lists each problem if not')
    .argument('<dir>', 'EPU grid directory, or a directory holding several')
    .option('--json', 'print {valid, grids, errors} as JSON')
    .addOption(verboseOption())
    .action(async (dir: string, options: Options) => {
      process.exitCode = await runValidate(dir, options);
    });
}

async function runParseFiles(kind: EpuFileKind, paths: string[], options: Options): Promise<number> {
  await setUpLogging(options.verbose);
  const { parseEpuFile, EpuParseError } = await import('@smartem/epu');
  const { recordText } = await import('./parse/render.ts');
  const out: unknown[] = [];
  let failed = 0;
  for (const path of paths) {
    try {
      const parsed = await parseEpuFile(path, kind);
      if (options.json) out.push(parsed.record);
      else process.stdout.write(`${recordText(parsed.kind, path, parsed.record)}\n\n`);
    } catch (error) {
      failed++;
      const reason = error instanceof EpuParseError ? error.reason : String(error);
      process.stderr.write(`error: ${path}: ${reason}\n`);
      if (options.json) out.push({ path, error: reason });
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}

async function runParseDir(dir: string, options: Options): Promise<number> {
  await setUpLogging(options.verbose);
  const { stat } = await import('node:fs/promises');
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    process.stderr.write(`error: ${dir}: not a directory\n`);
    return 1;
  }
  const { parseEpuDirectory } = await import('@smartem/epu');
  const { directoryJson, directoryText } = await import('./parse/render.ts');
  const { getLogger } = await import('@smartem/common');
  const log = getLogger('parse');
  if (options.entities && !options.json) {
    process.stderr.write('error: --entities needs --json\n');
    return 1;
  }
  const { workers } = options;
  const bar = await progressBar();
  const started = performance.now();
  const parse = await parseEpuDirectory(dir, {
    ...(workers === undefined ? {} : { workers }),
    entities: options.entities === true,
    onProgress: (done, total) => bar?.update(done, total),
  });
  bar?.stop();
  const seconds = (performance.now() - started) / 1000;
  log.info({ counts: parse.counts, seconds, files: parse.files_parsed }, 'directory parsed');
  for (const e of parse.errors) log.debug({ path: e.path, reason: e.reason }, 'file not parsed');
  if (options.json) process.stdout.write(`${JSON.stringify(directoryJson(parse), null, 2)}\n`);
  else process.stdout.write(`${directoryText(parse, seconds, options.verbose > 0)}\n`);
  return 0;
}

/** A progress bar on stderr when it is a terminal and the parse is long enough to show one. */
async function progressBar(): Promise<{ update(done: number, total: number): void; stop(): void } | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar(
    { stream: process.stderr, format: 'parsing [{bar}] {value}/{total} files  {eta}s left', hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started && total >= 1000) {
        bar.start(total, done);
        started = true;
      } else if (started) bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function runValidate(dir: string, options: Options): Promise<number> {
  await setUpLogging(options.verbose);
  const { validateEpuDirectory } = await import('@smartem/epu');
  const result = await validateEpuDirectory(dir);
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (result.valid)
    process.stdout.write(`EPU project dir is structurally valid (${result.grids.length} grid${result.grids.length === 1 ? '' : 's'})\n`);
  else {
    process.stdout.write('Invalid EPU project dir. Found the following issues:\n');
    for (const e of result.errors) process.stdout.write(`- ${e}\n`);
  }
  return result.valid ? 0 : 1;
}
