import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SmartEmClient } from '@smartem/client';
import { createLogger, type Logger } from '@smartem/common';
import { statusLine } from '@smartem/agent';
import { playLoop, readAthenaLog, startLoopServices, type HoleProgress } from '../loop/closed-loop.ts';
import { feedEpuDefault, goodMicrographsByBeamTime } from '../loop/epu-default.ts';

export interface DemoOptions {
  squares: number;
  holesPerSquare: number;
  shotsPerHole: number;
  seed: number;
  /** Where to write the visit, the database and the journal (default: a new temporary directory, removed at the end). */
  dir?: string;
  port: number;
  /** Simulated seconds per real second. */
  speed: number;
  /** Beam time (the decision benchmark's units); default half the visit's holes. */
  budget?: number;
  /** A CryoRL truth file instead of the simulator's own ground truth. */
  truth?: string;
  keep: boolean;
  timeoutSec: number;
  verbose: number;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** EPU's default order played first (no pauses, nothing else running): good holes by beam time spent. */
function goodByBeamTime(curve: HoleProgress[]): (beamTime: number) => number {
  return (t) => {
    let good = 0;
    for (const p of curve) {
      if (p.beamTime > t) break;
      good = p.good;
    }
    return good;
  };
}

/**
 * `smartem demo`: a visit where the simulated microscope follows SmartEM — the embedded backend, the Athena stand-in,
 * the agent in auto mode, the EPU simulator obeying the Decision Service and sending processing results back — with
 * good holes so far beside what EPU's default order had by the same beam time.
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
  const log: Logger = createLogger({ level: opts.verbose >= 2 ? 'debug' : opts.verbose === 1 ? 'info' : 'error', name: 'demo' });
  const base = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'smartem-demo-'));
  await mkdir(base, { recursive: true });
  if ((await readdir(join(base, 'visit')).catch(() => [])).length > 0) {
    process.stderr.write(`error: ${join(base, 'visit')} is not empty; pick another --dir\n`);
    return 1;
  }
  const visit = { squares: opts.squares, holesPerSquare: opts.holesPerSquare, shotsPerHole: opts.shotsPerHole, grids: 1, seed: opts.seed };
  const budget = opts.budget ?? Math.max(2, Math.round((opts.squares * opts.holesPerSquare) / 2));
  const timeout = AbortSignal.timeout(opts.timeoutSec * 1000);

  say(`SmartEM demo in ${base}`);
  say(`${elapsed()}  EPU's default order, played first without pauses (the counterfactual)…`);
  const epuCurve: HoleProgress[] = [];
  const epu = await playLoop({
    visit,
    out: join(base, 'epu-default'),
    truth: opts.truth,
    budget,
    speed: opts.speed,
    fast: true,
    onHole: (p) => epuCurve.push(p),
  });
  const epuAt = goodByBeamTime(epuCurve);
  say(`${elapsed()}  EPU default: ${epu.acquisition.goodHoles} good holes of ${epu.acquisition.holesCollected} within beam time ${budget}`);

  say(`${elapsed()}  starting the embedded backend (smartem up: PGlite + API + worker), the Athena stand-in and the agent (auto mode)…`);
  const services = await startLoopServices({ dir: base, port: opts.port, log });
  say(`${elapsed()}  backend ${services.backend.url}, Decision Service ${services.athena.url}, agent watching ${services.visitDir}`);
  // The atlas page's plot of good micrographs over time draws EPU's default order beside SmartEM's, live.
  const epuFeed = feedEpuDefault({ api: services.backend.url, goodAt: goodMicrographsByBeamTime(epu.holes) });
  say(`${elapsed()}  EPU simulator following SmartEM's decisions at ${opts.speed}× real time, beam time ${budget}:`);
  const tty = Boolean(process.stdout.isTTY);
  let lastLine = 0;
  let code = 0;
  try {
    const smartem = await playLoop({
      visit,
      out: services.visitDir,
      services,
      truth: opts.truth,
      budget,
      speed: opts.speed,
      signal: timeout,
      onHole: (p) => {
        epuFeed.add(p);
        const line = `${elapsed()}  good so far: SmartEM ${p.good} / EPU default ${epuAt(p.beamTime)}  (beam time ${p.beamTime} of ${budget}, ${p.holes} holes)`;
        if (tty) process.stdout.write(`\r\x1b[K${line}`);
        else if (Date.now() - lastLine > 1000) {
          say(line);
          lastLine = Date.now();
        }
      },
    });
    if (tty) process.stdout.write('\n');
    // At most 30 s; the timer is cleared once settled, or it would keep the finished process alive until it fires.
    let settleTimer: NodeJS.Timeout | undefined;
    await Promise.race([services.agent.whenSettled(), new Promise((r) => (settleTimer = setTimeout(r, 30_000)))]);
    clearTimeout(settleTimer);
    const curve = await epuFeed.stop().then(
      (n) => `${n} points stored for the atlas page's plot`,
      (error: unknown) => `not stored (${error instanceof Error ? error.message : String(error)})`,
    );
    const a = smartem.acquisition;
    const athena = await readAthenaLog(services.athenaLog, smartem.ctfStoredAt);
    const grids = await new SmartEmClient({ baseUrl: services.backend.url }).list('grid').catch(() => []);
    say('');
    say(smartem.play.aborted ? `Stopped after ${opts.timeoutSec} s:` : `Done in ${elapsed().trim()}:`);
    say(`  good holes     SmartEM ${a.goodHoles} / EPU default ${epu.acquisition.goodHoles} (same grid, same beam time ${budget})`);
    say(
      `  SmartEM        ${a.holesCollected} holes, ${a.squaresSkipped} squares skipped, ${a.holesDeselected} holes deselected; ` +
        `${athena.decisionsPosted} decisions posted to the Decision Service, ${a.decisionsFound} of ${a.decisionQueries} queries answered`,
    );
    say(
      `  feedback       ${smartem.play.feedback?.sent ?? 0} micrographs' processing results sent, ${smartem.play.feedback?.failed ?? 0} failed`,
    );
    say(`  agent          ${statusLine(services.agent.status())}`);
    say(`  EPU default    its curve beside SmartEM's: ${curve}`);
    const grid = (grids[0] as { uuid?: string } | undefined)?.uuid;
    say(`  dashboard      ${services.backend.url}/ui/${grid ? `grids/${grid}` : ''}`);
    if (smartem.play.aborted) code = 1;
    if (opts.keep) {
      say(`\nStill running: backend ${services.backend.url} (docs ${services.backend.url}/docs). Ctrl-C to stop.`);
      await new Promise<void>((r) => {
        process.once('SIGINT', () => r());
        process.once('SIGTERM', () => r());
      });
    }
  } finally {
    await epuFeed.stop().catch(() => 0);
    await services.stop();
    if (!opts.dir && !opts.keep) await rm(base, { recursive: true, force: true });
  }
  return code;
}
