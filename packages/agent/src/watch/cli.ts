import { Option, type Command } from 'commander';
import { metricsOptions, nonNegativeNumber, positiveNumber, verboseOption, wholeNumberAtLeast } from '@smartem/common/cli-options';

interface WatchCliOptions {
  api?: string;
  token?: string;
  config?: string;
  dryRun?: boolean;
  images: boolean;
  state?: string;
  poll?: number | true;
  status?: boolean;
  json?: boolean;
  verbose: number;
  statusInterval: number;
  rescan: number;
  maxPending: number;
  maxFileMb: number;
  athena?: string;
  mode?: 'observe' | 'confirm' | 'auto';
  agentId?: string;
  metricsPort?: number;
  metricsHost: string;
}

/** `smartem agent watch DIR --api URL`. */
export function registerWatchCommand(agent: Command): void {
  agent
    .command('watch')
    .description(
      'watch an EPU output directory (before, while or after EPU writes it) and sync everything to the backend; ' +
        'a durable journal under --state keeps what the backend has not acknowledged',
    )
    .argument(
      '[dir]',
      'EPU output directory (a visit with one or more grid directories, or one grid directory); default SMARTEM_AGENT_WATCH_DIR from the environment or the config file',
    )
    .option('--api <url>', 'backend base URL (env SMARTEM_API_URL)', process.env.SMARTEM_API_URL)
    .option('--token <token>', 'static bearer token for the backend (env SMARTEM_API_TOKEN)', process.env.SMARTEM_API_TOKEN)
    .option(
      '--config <file>',
      'KEY=value file with SMARTEM_API_URL, the OAuth client credentials SMARTEM_OIDC_ISSUER, SMARTEM_AGENT_CLIENT_ID, SMARTEM_AGENT_CLIENT_SECRET, SMARTEM_AGENT_WATCH_DIR, SMARTEM_AGENT_STATE_DIR, SMARTEM_LOG_LEVEL (default: smartem-agent.env beside the executable, if present)',
    )
    .option('--dry-run', 'parse and map everything, send nothing, write no journal')
    .option(
      '--state <dir>',
      'state directory holding the journal (default: SMARTEM_AGENT_STATE_DIR, else a per-directory folder under the user data dir)',
    )
    .option('--no-images', 'do not upload the preview JPEGs EPU writes beside its manifests (atlas tiles, squares, holes, micrographs)')
    .option('--poll [ms]', 'poll the file system instead of native events (network shares), every ms (default 1000)', positiveNumber)
    .option('--rescan <s>', 'list the whole directory again every s seconds as a safety net (0: never)', nonNegativeNumber, 60)
    .option(
      '--max-pending <n>',
      'hold micrograph manifests unread while n parsed entities wait for the backend (memory bound)',
      wholeNumberAtLeast(2),
      5000,
    )
    .option('--max-file-mb <mb>', 'a file named like an EPU manifest but larger than this is reported and never read', positiveNumber, 16)
    .option(
      '--athena <url>',
      'Athena Decision Service root URL (env SMARTEM_ATHENA_URL); decisions are sent there',
      process.env.SMARTEM_ATHENA_URL,
    )
    .addOption(
      new Option(
        '--mode <mode>',
        "apply the backend's instructions: observe (log what would be sent to Athena), confirm (operator approves in the backend), auto (default observe with --athena; none without)",
      ).choices(['observe', 'confirm', 'auto']),
    )
    .option('--agent-id <id>', "this agent's id at the backend (default: the computer name)")
    .option('--status', 'print the journal state of DIR (entities, unacknowledged, orphans) and exit')
    .option('--json', 'with --status: print JSON')
    .option('--status-interval <s>', 'seconds between status log lines in live mode (with -v)', positiveNumber, 60)
    .addOption(verboseOption())
    .addOption(metricsOptions()[0])
    .addOption(metricsOptions()[1])
    .action(async (dir: string | undefined, options: WatchCliOptions) => {
      const code = await runWatch(dir, options);
      process.exitCode = code;
    });
}

async function runWatch(dirArgument: string | undefined, options: WatchCliOptions): Promise<number> {
  const { AGENT_CONFIG_FILE, AgentConfigError, agentSetting, readAgentConfig } = await import('@smartem/client/agent-auth');
  let config;
  try {
    config = readAgentConfig({ configFile: options.config });
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  const dir = dirArgument ?? agentSetting(config, 'SMARTEM_AGENT_WATCH_DIR');
  if (!dir) {
    process.stderr.write(
      `error: no directory to watch: give DIR, or set SMARTEM_AGENT_WATCH_DIR in ${config.file ?? `${AGENT_CONFIG_FILE} beside the executable`}\n`,
    );
    return 2;
  }
  const { createLogger, levelFromVerbosity } = await import('@smartem/common');
  const level = levelFromVerbosity(options.verbose, { SMARTEM_LOG_LEVEL: agentSetting(config, 'SMARTEM_LOG_LEVEL') });
  const log = createLogger({ level, name: 'agent' });
  if (config.file) log.info({ file: config.file }, 'config file');
  const stateDir = options.state ?? agentSetting(config, 'SMARTEM_AGENT_STATE_DIR');
  if (options.status) {
    const { printJournalStatus } = await import('./status.ts');
    return printJournalStatus(dir, stateDir, Boolean(options.json));
  }
  const { startWatch, WatchSetupError } = await import('./watch.ts');
  const { CatchUpProgress, statusLine } = await import('./progress.ts');
  const { agentAuth } = await import('./auth.ts');
  const credentials = await agentAuth(options, config, log, Boolean(options.dryRun));
  if (typeof credentials === 'number') return credentials;
  // Listening before start-up: a stop requested while the watch starts is honoured once it has, with the final status.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    if (process.platform === 'win32') process.once('SIGBREAK', () => resolve('SIGBREAK'));
  });
  let handle;
  try {
    handle = await startWatch({
      dir,
      api: credentials.api,
      auth: credentials.auth,
      dryRun: options.dryRun,
      images: options.images,
      stateDir,
      poll: options.poll !== undefined,
      pollIntervalMs: options.poll === true ? undefined : options.poll,
      rescanIntervalMs: options.rescan * 1000,
      maxPending: options.maxPending,
      maxFileBytes: options.maxFileMb * 1024 * 1024,
      athena: options.athena,
      mode: options.mode ?? (options.athena ? 'observe' : undefined),
      agentId: options.agentId,
      log,
    });
  } catch (error) {
    if (error instanceof WatchSetupError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const watch = handle;
  let metrics;
  if (options.metricsPort !== undefined) {
    const { serveWatchMetrics } = await import('./metrics.ts');
    try {
      metrics = await serveWatchMetrics(() => watch.status(), { port: options.metricsPort, host: options.metricsHost });
    } catch (error) {
      await watch.stop();
      process.stderr.write(
        `error: the metrics server cannot listen on ${options.metricsHost}:${options.metricsPort}: ${(error as Error).message}\n`,
      );
      return 1;
    }
    process.stderr.write(`metrics on ${metrics.url}/metrics\n`);
  }
  const { boundHeap } = await import('./heap-bound.ts');
  const heap = boundHeap();
  const progress = new CatchUpProgress(() => watch.status());
  progress.start();
  let interval: NodeJS.Timeout | undefined;
  let stopping = false;
  void watch.whenSettled().then(() => {
    // Stopping also settles it (nothing more will be sent): no "caught up", and no timer that would keep the process alive.
    if (stopping) return;
    progress.finish();
    interval = setInterval(() => {
      const s = watch.status();
      const line = statusLine(s);
      if (s.entities.orphanTotal > 0) log.warn({ orphans: watch.store.listOrphans(5) }, line);
      else log.info(line);
    }, options.statusInterval * 1000);
  });

  const outcome = await Promise.race([stopSignal, watch.fatal]);
  stopping = true;
  clearInterval(interval);
  await watch.stop();
  await metrics?.close();
  heap.stop();
  const final = watch.status();
  if (outcome instanceof Error) {
    process.stderr.write(`error: ${outcome.message}\n`);
    return 1;
  }
  process.stderr.write(`stopped (${outcome}): ${statusLine(final)}\n`);
  return 0;
}
