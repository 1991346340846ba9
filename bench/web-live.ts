// npm run bench -- web-live [--squares 500] [--micrographs 40] [--burst 1000] [--visit-squares 4] [--speed 200] [--quiet 20]
// The dashboard's live updates, in Debian's chromium against an embedded backend (PGlite, worker on); each part below
// on a backend of its own, printed as one table.
// File → page: the agent (in this process) watches a directory while the EPU simulator plays a visit of
//    --visit-squares squares into it at --speed (paced; chunked writes and bursts as EPU writes them); the visit's
//    atlas page is opened once its grid exists. Per micrograph manifest written after the page is live, each stage:
//    written (the simulator closed the file) → the agent parsed it (detection, reading, parsing) → the backend
//    acknowledged it (the agent's journal, batching and POST) → a plain SSE client of GET /events/stream has the
//    `change` → the page's list shows the square's new micrograph count (a MutationObserver installed before the page
//    loads). Then --quiet manifests written one at a time (a copy of one under a new name, in two chunks), each once
//    the last is shown, timed the same way. Baseline, same run: a manifest written the same way, the operator
//    reloading the page until it shows it.
// API → page: an atlas of --squares grid squares (one foil hole each, half with two micrographs and results), loaded
//    through the batch API; --micrographs times one new micrograph (in the agent's batch call) into a square, one after
//    the other, each once the last is shown: the backend answered the POST → the SSE client has it, → the page shows
//    it; baseline: reloading the page by hand. Then one batch of --burst micrographs: the time until the page counts
//    all of them, and how many times the page re-read the grid (bursts of events fold into a few reloads).
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { startWatch } from '@smartem/agent';
import { connectSse } from '@smartem/client';
import { createLogger } from '@smartem/common';
import { playVisit } from '@smartem/epu-sim';
import { buildDashboard } from '../packages/web/src/build.ts';
import { browserMissing, launchChromium } from '../packages/web/test/browser.ts';
import { startBackendIn, type FedBackend } from '../packages/web/test/fixture.ts';
import { arg, batch } from './dashboard-support.ts';
import {
  installCountLog,
  percentile,
  readCountLog,
  shownTimes,
  squareCount,
  waitForSquareCount,
  waitForTotal,
  type Written,
} from '../packages/web/test/live-latency.ts';

const SQUARES = arg('squares', 500);
const MICROGRAPHS = arg('micrographs', 40);
const BURST = arg('burst', 1000);
const VISIT_SQUARES = arg('visit-squares', 4);
const SPEED = arg('speed', 200);
const QUIET = arg('quiet', 20);

interface Hole {
  uuid: string;
  foilhole_id: string;
  square: string;
}

async function load(fed: FedBackend): Promise<{ grid: string; holes: Hole[] }> {
  const acquisition = randomUUID();
  const grid = randomUUID();
  await batch(fed, 'acquisitions', [{ uuid: acquisition, name: 'bench web-live', status: 'started', start_time: '2026-01-01T08:00:00Z' }]);
  await batch(fed, 'grids', [{ uuid: grid, name: `live atlas of ${SQUARES} squares`, acquisition_uuid: acquisition }]);
  const cols = Math.ceil(Math.sqrt(SQUARES));
  const squares = Array.from({ length: SQUARES }, (_, k) => ({
    uuid: randomUUID(),
    gridsquare_id: String(1_000_000 + k),
    grid_uuid: grid,
    center_x: 40 + (k % cols) * 56,
    center_y: 40 + Math.floor(k / cols) * 56,
    size_width: 40,
    size_height: 40,
  }));
  await batch(fed, 'gridsquares', squares);
  const holes = squares.map((s, k) => ({
    uuid: randomUUID(),
    foilhole_id: String(2_000_000 + k),
    gridsquare_uuid: s.uuid,
    gridsquare_id: s.gridsquare_id,
    x_location: 50,
    y_location: 50,
  }));
  await batch(fed, 'foilholes', holes);
  const start = Date.parse('2026-01-01T08:00:00Z');
  await batch(
    fed,
    'micrographs',
    holes
      .filter((_, k) => k % 2 === 0)
      .flatMap((h, k) =>
        [0, 1].map((n) => ({
          uuid: randomUUID(),
          micrograph_id: `${h.foilhole_id}-${n}`,
          foilhole_uuid: h.uuid,
          foilhole_id: h.foilhole_id,
          acquisition_datetime: new Date(start + (2 * k + n) * 4000).toISOString(),
          ctf_max_resolution_estimate: 3 + (k % 7),
        })),
      ),
  );
  return { grid, holes: holes.map((h) => ({ uuid: h.uuid, foilhole_id: h.foilhole_id, square: h.gridsquare_id })) };
}

const micrograph = (h: Hole) => ({
  uuid: randomUUID(),
  micrograph_id: randomUUID(),
  foilhole_uuid: h.uuid,
  foilhole_id: h.foilhole_id,
  acquisition_datetime: new Date().toISOString(),
});

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const p50 = (v: number[]) => percentile(v, 50);
/** Wall-clock ms, as the page's count log records them. */
const now = () => Date.now();
const load1 = () => loadavg()[0]!.toFixed(1);

/** Change events of `grid`'s live stream: payload uuid → when it arrived. */
async function changeTimes(url: string, grid: string, signal: AbortSignal): Promise<Map<string, number>> {
  const arrived = new Map<string, number>();
  const stream = await connectSse({ url: `${url}/events/stream?grid_uuid=${grid}`, signal });
  void (async () => {
    try {
      for await (const e of stream) if (e.event === 'change') arrived.set(String(JSON.parse(e.data).payload.uuid), now());
    } catch {
      // aborted
    }
  })();
  return arrived;
}

async function openAtlas(browser: Browser, url: string, grid: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await installCountLog(page);
  await page.goto(`${url}/ui/grids/${grid}`);
  await page.locator('[data-live="live"]').waitFor({ timeout: 60_000 });
  return page;
}

const squareOf = (path: string) => /GridSquare_(\d+)/.exec(path)?.[1];

/** A new exposure beside micrograph manifest `path` (new name and uniqueID), written in two chunks as EPU does. */
async function writeCopy(path: string, n: number): Promise<{ path: string; at: number }> {
  const target = path.replace(/_Data_(\d+)_(\d+)_/, (_m, area: string, k: string) => `_Data_${area}_${Number(k) + 1000 + n}_`);
  const body = Buffer.from((await readFile(path, 'utf8')).replace(/(uniqueID>)[0-9a-f-]{36}(<)/, `$1${randomUUID()}$2`));
  const fh = await open(target, 'w');
  await fh.write(body.subarray(0, body.length >> 1));
  await sleep(20);
  await fh.write(body.subarray(body.length >> 1));
  await fh.close();
  return { path: target, at: now() };
}

type Stages = Record<'detect' | 'sync' | 'stream' | 'page' | 'total', number[]>;

/** File written → page, per stage: the simulator playing a visit, then quiet single writes; against reloading by hand. */
interface FilePart {
  quiet: Stages;
  sim: Stages;
  reloadMs: number[];
  note: string;
}

async function fileToPage(fed: FedBackend, browser: Browser, work: string): Promise<FilePart> {
  const visitDir = join(work, 'visit');
  await mkdir(visitDir);
  const parsed = new Map<string, number>();
  const acked = new Map<string, { at: number; uuid: string }>();
  const watch = await startWatch({
    dir: visitDir,
    api: fed.backend.url,
    stateDir: join(work, 'agent'),
    log: createLogger({ level: 'error', name: 'bench-web-live-agent' }),
    onParsed: (f) => void (f.kind === 'micrograph-manifest' && !parsed.has(f.path) && parsed.set(f.path, now())),
    onAcked: (e) => void (e.kind === 'micrograph' && acked.set(String(e.fields.manifest_file), { at: now(), uuid: e.uuid })),
  });
  const sse = new AbortController();
  /** Every micrograph manifest written, in order (the k-th of a square is shown when its count reaches k). */
  const written: Array<Written & { path: string }> = [];
  const load: number[] = [];
  try {
    const playing = playVisit({
      squares: VISIT_SQUARES,
      holesPerSquare: 5,
      shotsPerHole: 2,
      grids: 1,
      seed: 14,
      out: visitDir,
      speed: SPEED,
      maxDelayMs: 1500,
      onEvent: (e) => {
        const square = e.type === 'file' && e.kind === 'micrograph-manifest' && !e.rewrite ? squareOf(e.path) : undefined;
        if (square) written.push({ square, at: now(), path: join(visitDir, e.path) });
      },
    });
    const grid = await until('the visit grid', async () => (await fed.api<Array<{ uuid: string }>>('/grids'))[0]?.uuid, 60_000);
    const arrived = await changeTimes(fed.backend.url, grid, sse.signal);
    const page = await openAtlas(browser, fed.backend.url, grid);
    const liveAt = now();
    const sampler = setInterval(() => load.push(loadavg()[0]!), 1000);
    await playing;
    clearInterval(sampler);
    const played = written.length;
    await until('the agent', async () => (written.every((w) => acked.has(w.path)) ? true : undefined), 120_000);
    await waitForTotal(page, played, 60_000);

    // Quiet: one manifest at a time (a copy under a new name, in two chunks), each once the last is shown.
    const quietLoad = loadavg()[0]!;
    for (let n = 0; n < QUIET; n++) {
      const source = written[(n * 7) % played]!;
      const want = (await squareCount(page, source.square)) + 1;
      const copy = await writeCopy(source.path, n);
      written.push({ square: source.square, ...copy });
      await waitForSquareCount(page, source.square, want, 60_000);
    }
    await until('the agent', async () => (written.every((w) => acked.has(w.path)) ? true : undefined), 60_000);

    const shown = shownTimes(written, await readCountLog(page));
    const stages = (from: number, to: number): Stages => {
      const out: Stages = { detect: [], sync: [], stream: [], page: [], total: [] };
      for (let i = from; i < to; i++) {
        const w = written[i]!;
        const [p, a, at] = [parsed.get(w.path), acked.get(w.path), shown[i]];
        const s = a && arrived.get(a.uuid);
        if (w.at <= liveAt || p === undefined || a === undefined || s === undefined || at === undefined) continue;
        out.detect.push(Math.round(p - w.at));
        out.sync.push(Math.round(a.at - p));
        out.stream.push(Math.round(Math.max(0, s - a.at)));
        out.page.push(Math.round(Math.max(0, at - Math.max(s, a.at))));
        out.total.push(Math.round(Math.max(0, at - w.at)));
      }
      return out;
    };
    const sim = stages(0, played);
    const quiet = stages(played, written.length);

    // Baseline: a manifest written the same way; the operator reloads until the page shows it.
    const reloadMs: number[] = [];
    for (let n = 0; n < 5; n++) {
      const source = written[(n * 11) % played]!;
      const want = (await squareCount(page, source.square)) + 1;
      const copy = await writeCopy(source.path, QUIET + n);
      for (;;) {
        await page.reload();
        await page.locator('[data-square-id]').first().waitFor({ timeout: 60_000 });
        if ((await squareCount(page, source.square)) >= want) break;
      }
      reloadMs.push(Math.round(now() - copy.at));
    }
    await page.close();
    return {
      quiet,
      sim,
      reloadMs,
      note: `${QUIET} manifests written one at a time (load average ${quietLoad.toFixed(1)}); the simulator playing ${played} (${VISIT_SQUARES} squares, --speed ${SPEED}), ${sim.total.length} of them written after the page was live (load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)})`,
    };
  } finally {
    sse.abort();
    await watch.stop();
  }
}

/** The backend accepting a micrograph → page, and a burst. */
interface ApiPart {
  streamMs: number[];
  pageMs: number[];
  reloadMs: number[];
  note: string;
}

async function apiToPage(fed: FedBackend, browser: Browser): Promise<ApiPart> {
  const { grid, holes } = await load(fed);
  const sse = new AbortController();
  try {
    const arrived = await changeTimes(fed.backend.url, grid, sse.signal);
    const page = await openAtlas(browser, fed.backend.url, grid);
    const countLog = () => readCountLog(page);
    await page
      .locator('[data-square-id]')
      .nth(SQUARES - 1)
      .waitFor({ timeout: 60_000 });

    const counts = new Map<string, number>(holes.map((h, k) => [h.square, k % 2 === 0 ? 2 : 0]));
    const streamMs: number[] = [];
    const pageMs: number[] = [];
    for (let i = 0; i < MICROGRAPHS; i++) {
      const hole = holes[(i * 7919) % holes.length]!;
      const m = micrograph(hole);
      const want = counts.get(hole.square)! + 1;
      counts.set(hole.square, want);
      await batch(fed, 'micrographs', [m]);
      const accepted = now();
      const shownAt = await until('the page', async () => {
        const at = Object.entries((await countLog())[hole.square] ?? {}).filter(([c]) => Number(c) >= want);
        return at.length > 0 ? Math.min(...at.map(([, t]) => t)) : undefined;
      });
      const streamAt = await until('the stream', async () => arrived.get(m.uuid));
      streamMs.push(Math.round(Math.max(0, streamAt - accepted)));
      pageMs.push(Math.round(Math.max(0, shownAt - accepted)));
    }

    // Baseline: the operator reloads the page to see the newest micrograph.
    const reloadMs: number[] = [];
    for (let i = 0; i < Math.min(5, MICROGRAPHS); i++) {
      const hole = holes[(i * 104729) % holes.length]!;
      const want = counts.get(hole.square)! + 1;
      counts.set(hole.square, want);
      await batch(fed, 'micrographs', [micrograph(hole)]);
      const t0 = Date.now();
      await page.reload();
      await waitForSquareCount(page, hole.square, want, 60_000);
      reloadMs.push(Date.now() - t0);
    }
    await page.locator('[data-live="live"]').waitFor({ timeout: 60_000 });

    // A burst: one batch of BURST micrographs over the squares.
    let reads = 0;
    page.on('request', (r) => void (r.url().endsWith(`/grids/${grid}/overview`) && reads++));
    const total = [...counts.values()].reduce((a, b) => a + b, 0) + BURST;
    const burst = Array.from({ length: BURST }, (_, k) => micrograph(holes[k % holes.length]!));
    const t0 = Date.now();
    await batch(fed, 'micrographs', burst);
    const acceptedBurst = Date.now() - t0;
    await waitForTotal(page, total, 120_000);
    const burstShown = Date.now() - t0;
    await page.close();
    return {
      streamMs,
      pageMs,
      reloadMs,
      note: `an atlas of ${SQUARES} squares, ${MICROGRAPHS} micrographs posted one at a time (load average ${load1()}); a burst of ${BURST} in one batch accepted in ${acceptedBurst} ms, all counted on the page ${burstShown} ms after sending, with ${reads} reads of the grid`,
    };
  } finally {
    sse.abort();
  }
}

const cells = (v: number[]) => (v.length ? `${percentile(v, 50)} / ${percentile(v, 99)} / ${Math.max(...v)}` : '');

function report(file: FilePart, api: ApiPart): string {
  const { quiet, sim } = file;
  const line = (name: string, a: number[], b: number[], c: number[]) => `| ${name} | ${cells(a)} | ${cells(b)} | ${cells(c)} |`;
  return [
    `${availableParallelism()} cores. File: ${file.note}. API: ${api.note}.`,
    '',
    '| ms, p50 / p99 / max | file, one at a time | file, simulator playing | API post, one at a time |',
    '|---|---:|---:|---:|',
    line('written → the agent parsed it (detection, read, parse)', quiet.detect, sim.detect, []),
    line('parsed → the backend acknowledged it (journal fsync, batching, POST)', quiet.sync, sim.sync, []),
    line('acknowledged → a plain SSE client has the change', quiet.stream, sim.stream, api.streamMs),
    line('the change → the open atlas shows it (counted from the change, or re-read; render)', quiet.page, sim.page, []),
    line('**written (API: acknowledged) → the open atlas shows it, live**', quiet.total, sim.total, api.pageMs),
    line('baseline: the same, reloading the page by hand until it shows it', file.reloadMs, [], api.reloadMs),
    '',
    `API post → page live p50 = ${(p50(api.pageMs) / p50(api.reloadMs)).toFixed(2)}x the reload baseline`,
    `file written → page p99 ${percentile(quiet.total, 99)} ms one at a time, ${percentile(sim.total, 99)} ms while the simulator plays (target ≤ 2000 ms)`,
    `file written → page live p50 = ${(p50(quiet.total) / p50(file.reloadMs)).toFixed(2)}x the reload baseline (${p50(quiet.total)} / ${p50(file.reloadMs)} ms)`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const missing = browserMissing();
  if (missing) throw new Error(missing);
  await buildDashboard();
  const dir = await mkdtemp(join(tmpdir(), 'smartem-bench-web-live-'));
  const browser = await launchChromium();
  // Each part on a backend of its own, so that neither waits for what the other left the worker to do.
  const onBackend = async <T>(name: string, run: (fed: FedBackend) => Promise<T>): Promise<T> => {
    await mkdir(join(dir, name));
    const fed = await startBackendIn(join(dir, name));
    try {
      return await run(fed);
    } finally {
      await fed.stop();
    }
  };
  try {
    const file = await onBackend('file', (fed) => fileToPage(fed, browser, join(dir, 'file')));
    const api = await onBackend('api', (fed) => apiToPage(fed, browser));
    process.stdout.write(report(file, api));
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
