import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SmartEmClient } from '@smartem/client';
import { createLogger, type Logger } from '@smartem/common';
import { startBackend } from '@smartem/backend';
import { startWatch, statusLine } from '@smartem/agent';
import { buildVisit, playVisit, summarise, type VisitOptions } from '@smartem/epu-sim';
import { backendCounts, complete, countsLine, expectedCounts, type BackendCounts } from './counts.ts';

export interface DemoOptions extends VisitOptions {
  /** Where to write the visit, the database and the journal (default: a new temporary directory, removed at the end). */
  dir?: string;
  port: number;
  /** Simulated seconds per real second; `fast` writes without pauses. */
  speed: number;
  fast: boolean;
  keep: boolean;
  timeoutSec: number;
  verbose: number;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `smartem demo`: embedded backend + simulated EPU visit played at high speed + the agent watching it. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
  const log: Logger = createLogger({ level: opts.verbose >= 2 ? 'debug' : opts.verbose === 1 ? 'info' : 'error', name: 'demo' });
  const base = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'smartem-demo-'));
  await mkdir(base, { recursive: true });
  const visitDir = join(base, 'visit');
  if ((await readdir(visitDir).catch(() => [])).length > 0) {
    process.stderr.write(`error: ${visitDir} is not empty; pick another --dir\n`);
    return 1;
  }
  await mkdir(visitDir, { recursive: true });
  const visitOptions: VisitOptions = {
    squares: opts.squares,
    holesPerSquare: opts.holesPerSquare,
    shotsPerHole: opts.shotsPerHole,
    grids: opts.grids,
    seed: opts.seed,
  };
  const plan = summarise(buildVisit(visitOptions), visitDir);
  const want = expectedCounts(plan.grids.length, plan.counts);

  say(`SmartEM demo in ${base}`);
  say(`${elapsed()}  starting the embedded backend (PGlite + API + worker + in-process bus)…`);
  const backend = await startBackend({
    log: log.child({ component: 'backend' }),
    dataDir: join(base, 'db'),
    host: '127.0.0.1',
    port: opts.port,
    worker: true,
    migrate: true,
  });
  say(`${elapsed()}  backend listening on ${backend.url} (API docs: ${backend.url}/docs)`);
  const watch = await startWatch({
    dir: visitDir,
    api: backend.url,
    stateDir: join(base, 'agent-state'),
    log: log.child({ component: 'agent' }),
  });
  say(`${elapsed()}  agent watching ${visitDir}`);
  say(
    `${elapsed()}  EPU simulator: ${plan.grids.length} grid(s), ${want.gridsquares} squares, ${want.foilholes} foil holes, ${want.micrographs} micrographs${opts.fast ? ' (no pauses)' : ` at ${opts.speed}× real time`}`,
  );

  const client = new SmartEmClient({ baseUrl: backend.url, timeoutMs: 30_000 });
  const tty = Boolean(process.stdout.isTTY);
  let filesWritten = 0;
  let playDone = false;
  const play = playVisit({
    ...visitOptions,
    out: visitDir,
    speed: opts.speed,
    fast: opts.fast,
    maxDelayMs: 25,
    onEvent: (e) => void (e.type === 'file' && filesWritten++),
  }).then((summary) => {
    playDone = true;
    return summary;
  });

  let have: BackendCounts = { acquisitions: 0, grids: 0, gridsquares: 0, foilholes: 0, micrographs: 0 };
  const deadline = Date.now() + opts.timeoutSec * 1000;
  let lastLine = '';
  for (;;) {
    have = await backendCounts(client).catch(() => have);
    const line = `${elapsed()}  EPU wrote ${filesWritten} files${playDone ? ' (done)' : ''} | backend: ${countsLine(have, want)} | agent: ${watch.status().entities.orphanTotal} orphans`;
    if (tty) process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 160) - 1)}`);
    else if (line.replace(/^\s*[\d.]+ s/, '') !== lastLine) say(line);
    lastLine = line.replace(/^\s*[\d.]+ s/, '');
    if (playDone && complete(have, want)) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, tty ? 250 : 1000));
  }
  if (tty) process.stdout.write('\n');
  const summary = await play;
  const ok = complete(have, want);
  const status = watch.status();
  say('');
  say(ok ? `Visit fully ingested in ${elapsed().trim()}:` : `Not complete after ${opts.timeoutSec} s:`);
  say(
    `  EPU simulator  ${summary.writes} files written (${summary.rewrites} rewrites), ${summary.counts.foilHoleManifests} FoilHole manifests incl. duplicates`,
  );
  say(`  agent          ${statusLine(status)}`);
  say(`  backend        ${countsLine(have, want)}`);

  if (opts.keep) {
    say(`\nStill running: backend ${backend.url} (docs ${backend.url}/docs), agent watching ${visitDir}. Ctrl-C to stop.`);
    await new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
  }
  await watch.stop();
  await backend.stop();
  if (!opts.dir && !opts.keep) await rm(base, { recursive: true, force: true });
  return ok ? 0 : 1;
}
