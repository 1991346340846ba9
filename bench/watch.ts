// npm run bench -- watch [--rate 200] [--seconds 60] [--micrographs 50000]
// `smartem agent watch` end to end against a real `smartem up` (child process, PGlite):
//  1. live: micrograph manifests written (each in two chunks) at --rate files/s for --seconds by a separate writer
//     process; latency from "file completely written" to "its row acknowledged by the backend", p50/p99.
//     Baseline: the same backend's own round trip for one-item POST /batch/micrographs, sequential (the floor).
//  2. catch-up: a finished visit of --micrographs micrographs; time from agent start to everything acknowledged.
//     Baseline: reading and parsing every file of the visit once (same parsers, no store, no sync).
//  Agent RSS peak over both phases (the agent runs in this process; visits are generated in child processes).
// Targets (issue 5): p99 < 500 ms at 200 files/s; catch-up of 50,000 micrographs < 60 s; agent RSS < 250 MB.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, readFile, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartEmClient } from '@smartem/client';
import { createLogger } from '@smartem/common';
import { classifyEpuPath, parseEpuXml } from '@smartem/epu';
import { startWatch } from '@smartem/agent';
import { startBackend, startSmartem } from '../packages/agent/test/support/processes.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function listFiles(root: string, keep: (path: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const dirs = [root];
  while (dirs.length) {
    const dir = dirs.pop()!;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) dirs.push(p);
      else if (keep(p)) out.push(p);
    }
  }
  return out;
}

const isMicrograph = (p: string) => /[/\\]Data[/\\]FoilHole_[^/\\]*\.xml$/.test(p);

// ---------------------------------------------------------------------------------------------------------------
// Writer mode (a child process): writes the template files back into the live visit at a fixed rate, each in two
// chunks 20 ms apart, and prints "<path>\t<epoch ms when completely written>" per file.
if (process.argv[2] === '--writer') {
  const [, , , templates, live, rateText, countText] = process.argv;
  const files = (await listFiles(templates!, isMicrograph)).sort();
  const bodies = await Promise.all(files.map((f) => readFile(f, 'utf8')));
  const rate = Number(rateText);
  const count = Number(countText);
  const start = performance.now();
  const lines: string[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep(Math.max(0, start + (i * 1000) / rate - performance.now()));
      // Round i over the templates: a new exposure of the same hole (new `<n>` in the name, new uniqueID).
      const k = i % files.length;
      const round = Math.floor(i / files.length);
      const rel = relative(templates!, files[k]!).replace(
        /_Data_(\d+)_(\d+)_/,
        (_m, loc: string, n: string) => `_Data_${loc}_${Number(n) + 1000 * round}_`,
      );
      const target = join(live!, rel);
      const body = Buffer.from(bodies[k]!.replace(/(uniqueID>)[0-9a-f-]{36}(<)/, `$1${randomUUID()}$2`));
      const half = Math.floor(body.length / 2);
      const fh = await open(target, 'w');
      await fh.write(body.subarray(0, half));
      await sleep(20);
      await fh.write(body.subarray(half));
      await fh.close();
      lines.push(`${target}\t${performance.timeOrigin + performance.now()}`);
    }),
  );
  // Exit only once the pipe took everything (process.exit right after a large write truncates it).
  await new Promise((resolve) => process.stdout.write(lines.join('\n') + '\n', resolve));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
const rate = arg('rate', 200);
const seconds = arg('seconds', 60);
const catchUpMicrographs = arg('micrographs', 50_000);
const work = mkdtempSync(join(tmpdir(), 'bench-watch-'));
const log = createLogger({ level: 'error' });
let rssPeak = 0;
const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Peak resident set of a process (Linux /proc; 0 elsewhere). */
async function vmHwm(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

async function generate(out: string, squares: number, holes: number, shots: number, grids: number): Promise<void> {
  const child = startSmartem([
    'tools',
    'epu-sim',
    'generate',
    out,
    '--squares',
    String(squares),
    '--holes-per-square',
    String(holes),
    '--shots-per-hole',
    String(shots),
    '--grids',
    String(grids),
    '--no-atlas',
  ]);
  if ((await child.exited) !== 0) throw new Error(`epu-sim generate failed:\n${child.output()}`);
}

const backend = await startBackend(join(work, 'db'));
try {
  // ---- 1. live latency ----------------------------------------------------------------------------------------
  const liveCount = rate * seconds;
  const shots = 6;
  const holes = 50;
  const squares = 10; // the writer reuses these micrograph manifests as templates (new uniqueID, new name)
  const liveDir = join(work, 'live');
  const templates = join(work, 'templates');
  await generate(liveDir, squares, holes, shots, 1);
  // Move every micrograph manifest aside: the writer puts them back at the chosen rate while the agent watches.
  for (const path of await listFiles(liveDir, isMicrograph)) {
    const target = join(templates, relative(liveDir, path));
    mkdirSync(dirname(target), { recursive: true });
    await rename(path, target);
  }
  const acked = new Map<string, number>();
  const live = await startWatch({
    dir: liveDir,
    api: backend.url,
    stateDir: join(work, 'state-live'),
    log,
    onAcked: (e) => {
      if (e.kind === 'micrograph') acked.set(String(e.fields.manifest_file), performance.timeOrigin + performance.now());
    },
  });
  await live.whenSettled();
  const writer = spawn(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--writer', templates, liveDir, String(rate), String(liveCount)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let writerOut = '';
  writer.stdout.on('data', (c: Buffer) => (writerOut += c.toString()));
  await new Promise((resolve) => writer.once('exit', resolve));
  const written = writerOut
    .trim()
    .split('\n')
    .map((l) => l.split('\t') as [string, string]);
  const deadline = Date.now() + 120_000;
  while (written.some(([p]) => !acked.has(p)) && Date.now() < deadline) await sleep(100);
  const latencies = written
    .filter(([p]) => acked.has(p))
    .map(([p, t]) => acked.get(p)! - Number(t))
    .sort((a, b) => a - b);
  const missing = written.length - latencies.length;
  for (const [p] of written.filter(([p]) => !acked.has(p)).slice(0, 3)) console.error(`not acknowledged: ${p}`);
  await live.stop();

  // Baseline: one-item batch upserts straight to the backend, one after another (its own round trip, no queueing).
  const client = new SmartEmClient({ baseUrl: backend.url });
  const hole = [...live.store.entities.values()].find((e) => e.kind === 'foilhole' && e.acked > 0);
  if (hole?.kind !== 'foilhole') throw new Error('bench watch: no acknowledged foil hole to use for the baseline');
  const direct: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await client.batch('micrograph', [
      {
        uuid: randomUUID(),
        foilhole_uuid: hole.uuid,
        foilhole_id: String(hole.fields.foilhole_id),
        micrograph_id: randomUUID(),
        status: 'none',
      },
    ]);
    direct.push(performance.now() - t);
  }
  direct.sort((a, b) => a - b);

  // ---- 2. catch-up ------------------------------------------------------------------------------------------------
  const cShots = 10;
  const cHoles = 50;
  const cGrids = 2;
  const cSquares = Math.ceil(catchUpMicrographs / (cShots * cHoles * cGrids));
  const catchDir = join(work, 'catchup');
  await generate(catchDir, cSquares, cHoles, cShots, cGrids);
  const epuFiles = await listFiles(catchDir, (p) => p.endsWith('.xml') || p.endsWith('.dm'));
  // Baseline: read + parse each EPU file once (also warms the page cache for the agent run that follows).
  const parseStart = performance.now();
  let parsedFiles = 0;
  for (const path of epuFiles) {
    const cls = classifyEpuPath(relative(catchDir, path));
    if (!cls) continue;
    parseEpuXml(cls.kind, await readFile(path), path);
    parsedFiles++;
  }
  const parseMs = performance.now() - parseStart;
  const liveRssPeak = rssPeak;
  clearInterval(rssTimer);
  // The agent as users run it (its own process, so its RSS is its own): from start to "caught up".
  const catchStart = performance.now();
  const agent = startSmartem(['agent', 'watch', catchDir, '--api', backend.url, '--state', join(work, 'state-catchup')]);
  let agentRssPeak = 0;
  while (!agent.output().includes('caught up') && agent.proc.exitCode === null) {
    await sleep(50);
    agentRssPeak = Math.max(agentRssPeak, await vmHwm(agent.proc.pid!));
  }
  const catchMs = performance.now() - catchStart;
  agentRssPeak = Math.max(agentRssPeak, await vmHwm(agent.proc.pid!));
  const caughtUp = /caught up in [\d.]+ s: (.*); watching/.exec(agent.output())?.[1] ?? agent.output().slice(-500);
  await agent.stop();

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const rows: [string, string, string, string][] = [
    ['live latency p50 (write complete → row acked)', ms(percentile(latencies, 50)), ms(percentile(direct, 50)), ''],
    ['live latency p99', ms(percentile(latencies, 99)), ms(percentile(direct, 99)), '< 500 ms'],
    ['live latency max', ms(latencies[latencies.length - 1]!), ms(direct[direct.length - 1]!), ''],
    [`live files (${rate}/s for ${seconds} s), not acked`, `${latencies.length}, ${missing}`, '', '0 missing'],
    [
      `catch-up ${catchUpMicrographs} micrographs (${parsedFiles} EPU files), agent process`,
      `${(catchMs / 1000).toFixed(1)} s`,
      `${(parseMs / 1000).toFixed(1)} s read+parse`,
      '< 60 s',
    ],
    [`  agent at "caught up": ${caughtUp}`, '', '', ''],
    ['agent process RSS peak (VmHWM) during catch-up', `${(agentRssPeak / 2 ** 20).toFixed(0)} MB`, '', '< 250 MB'],
    ['bench process RSS peak during the live phase', `${(liveRssPeak / 2 ** 20).toFixed(0)} MB`, '(agent in-process)', '< 250 MB'],
  ];
  const w = [52, 16, 22, 10];
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join(' | ');
  console.log(line(['measure', 'agent', 'baseline', 'target']));
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const r of rows) console.log(line(r));
  console.log(
    `headline: live p99 ${ms(percentile(latencies, 99))} = ${(percentile(latencies, 99) / percentile(direct, 99)).toFixed(1)}× the direct-POST p99; ` +
      `catch-up ${(catchMs / 1000).toFixed(1)} s = ${(catchMs / parseMs).toFixed(1)}× read+parse alone`,
  );
} finally {
  clearInterval(rssTimer);
  await backend.stop();
  rmSync(work, { recursive: true, force: true });
}
