/**
 * The dashboard in a real browser against a real embedded backend, fed by the agent watching a simulated EPU visit
 * and by processing results posted through the API: the home page lists the grid, the atlas draws and lists every
 * grid square the API has, a square opens with every foil hole the API has, a hole shows its micrographs. Reads
 * counted: one GET /agents for the home page and for a grid page; an open square re-reads on a burst of changes far
 * fewer times than there are changes (on the page's own clock, moved by the test), yet at once after a quiet spell.
 * Screenshots of each page go to packages/web/test-output/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { VisitOptions } from '@smartem/epu-sim';
import { buildDashboard } from '../src/build.ts';
import { browserMissing, launchChromium } from './browser.ts';
import { startFedBackend, type FedBackend, type Row } from './fixture.ts';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const skip = browserMissing();
const VISIT: VisitOptions = { squares: 6, holesPerSquare: 14, shotsPerHole: 2, grids: 1, seed: 14 };

let fed: FedBackend | undefined;
let browser: Browser | undefined;
const url = () => fed!.backend.url;
const api = <T>(path: string) => fed!.api<T>(path);

before(async () => {
  if (skip) return;
  await buildDashboard();
  fed = await startFedBackend(VISIT);
  await mkdir(OUTPUT, { recursive: true });
  process.stdout.write(`screenshots in ${OUTPUT}\n`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await fed?.stop();
});

/** Page errors, failed requests and console errors, reported with a failing assertion. */
const problems: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('requestfinished', async (r) => {
    const timing = r.timing();
    if (timing.responseEnd > 2000) problems.push(`slow request ${r.url()}: ${Math.round(timing.responseEnd)} ms`);
  });
  return page;
}

/** Waits for the page's map to be drawn; on a timeout, says what the page reported. */
async function mapDrawn(page: Page, name: string): Promise<void> {
  try {
    await page.locator('canvas.map[data-drawn]').waitFor({ timeout: 60_000 });
  } catch (err) {
    await page.screenshot({ path: join(OUTPUT, `${name}-failed.png`), fullPage: true });
    throw new Error(
      `${name}: map not drawn (${(err as Error).message.split('\n')[0]}); page reported: ${problems.join(' | ') || 'nothing'}`,
    );
  }
}

test('GET / from a browser redirects to /ui/; API clients keep a 404; deep links get the app', { skip: skip ?? false }, async () => {
  const root = await fetch(`${url()}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/ui/');
  assert.equal((await fetch(`${url()}/`, { headers: { accept: 'application/json' } })).status, 404);
  const deep = await fetch(`${url()}/ui/grids/some-grid/squares/some-square`);
  assert.equal(deep.status, 200);
  const html = await deep.text();
  const asset = /\/ui\/assets\/[^"]+\.js/.exec(html)?.[0];
  assert.ok(asset, 'index.html names its script');
  const script = await fetch(`${url()}${asset}`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${url()}/ui/assets/missing-0000.js`)).status, 404);
});

test('the atlas shows every grid square of the grid; a square shows every foil hole', { skip: skip ?? false }, async () => {
  const grids = await api<Row[]>('/grids');
  assert.equal(grids.length, 1);
  const grid = grids[0];
  const squares = await api<Array<Row & { gridsquare_id: string }>>(`/grids/${grid.uuid}/gridsquares`);
  const page = await newPage();

  await page.goto(`${url()}/`);
  assert.match(page.url(), /\/ui\/$/);
  await page.locator(`[data-grid-id="${grid.uuid}"] a`).waitFor();
  await page.screenshot({ path: join(OUTPUT, 'home.png'), fullPage: true });
  await page.locator(`[data-grid-id="${grid.uuid}"] a`).click();

  await page.waitForURL(`**/ui/grids/${grid.uuid}`);
  await mapDrawn(page, 'atlas');
  // The square list renders after the atlas is drawn (deferred): wait for it, bounded.
  await page
    .waitForFunction(`document.querySelectorAll('[data-square-id]').length === ${squares.length}`, undefined, { timeout: 30_000 })
    .catch(() => {});
  assert.equal(await page.locator('[data-square-id]').count(), squares.length);
  const ids = await page.locator('[data-square-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-square-id')));
  assert.deepEqual([...ids].sort(), squares.map((s) => s.gridsquare_id).sort());
  const states = new Set(await page.locator('[data-square-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))));
  assert.ok(states.has('collecting') && states.has('collected'), `states seen: ${[...states].join(', ')}`);
  assert.match((await page.locator('.legend').textContent()) ?? '', /collected/);
  // Each square's estimated share of good holes, drawn once the ranking arrives.
  const estimates = page.locator('[data-chart="square-estimates"]');
  await estimates.locator('canvas').first().waitFor({ timeout: 30_000 });
  assert.match((await estimates.textContent()) ?? '', /95 % range/);
  const estimated = (await api<{ squares: Array<{ p_good_mean?: number }> }>(`/grids/${grid.uuid}/suggested_squares`)).squares;
  assert.ok(
    estimated.some((s) => s.p_good_mean !== undefined),
    'the API gives estimates to plot',
  );
  // The atlas image: the tiles the agent uploaded, stitched under the squares.
  const tiles = await api<Row[]>(`/atlases/${(await api<Row>(`/grids/${grid.uuid}/atlas`)).uuid}/tiles`);
  await page.locator(`canvas.map[aria-label^="Atlas image (${tiles.length} tiles)"]`).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(OUTPUT, 'atlas.png'), fullPage: true });
  await page.getByLabel('Observed quality').check();
  await page.screenshot({ path: join(OUTPUT, 'atlas-observed.png') });

  // Keyboard: focus the collected square's entry and open it with Enter.
  const entry = page.locator('[data-state="collected"]').first();
  const squareId = await entry.getAttribute('data-square-id');
  const square = squares.find((s) => s.gridsquare_id === squareId)!;
  await entry.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/ui/grids/${grid.uuid}/squares/${square.uuid}`);
  const holes = await api<Array<Row & { foilhole_id: string }>>(`/gridsquares/${square.uuid}/foilholes`);
  assert.ok(holes.length > 0);
  await mapDrawn(page, 'square');
  assert.equal(await page.locator('[data-foilhole-id]').count(), holes.length);
  await page.locator(`canvas.map[aria-label^="Grid square ${square.gridsquare_id} image with"]`).waitFor({ timeout: 30_000 });

  // A hole with micrographs shows them with their results.
  const collected = await api<{ holes: Array<{ foilhole_uuid: string; micrographs: number }> }>(`/gridsquares/${square.uuid}/collection`);
  const withShots = holes.find((h) => collected.holes.some((c) => c.foilhole_uuid === h.uuid))!;
  await page.locator(`[data-foilhole-id="${withShots.foilhole_id}"]`).click();
  const expected = collected.holes.find((c) => c.foilhole_uuid === withShots.uuid)!.micrographs;
  await page.locator('[data-micrograph-id]').first().waitFor();
  assert.equal(await page.locator('[data-micrograph-id]').count(), expected);
  // Each with its thumbnail, decoded (a string: the test's TypeScript has no DOM types).
  await page.waitForFunction(
    `[...document.querySelectorAll('[data-micrograph-id] img.thumb')].filter((i) => i.complete && i.naturalWidth > 0).length === ${expected}`,
    undefined,
    { timeout: 30_000 },
  );
  await page.screenshot({ path: join(OUTPUT, 'square.png'), fullPage: true });

  // Clicking a square on the atlas canvas opens it too.
  await page.goBack();
  await page.waitForURL(`**/ui/grids/${grid.uuid}`);
  await mapDrawn(page, 'atlas-again');
  assert.deepEqual(
    problems.filter((p) => !p.startsWith('slow')),
    [],
  );
  await page.close();
});

test('the collection reads count what the API lists', { skip: skip ?? false }, async () => {
  const grid = (await api<Row[]>('/grids'))[0];
  const collection = await api<{
    ctf_max_resolution: number;
    squares: Array<{ gridsquare_uuid: string; foilholes: number; micrographs: number; with_ctf: number; good: number }>;
    micrographs: { t: number[]; ctf: number[] };
  }>(`/grids/${grid.uuid}/collection`);
  const micrographs = await api<Array<Row & { ctf_max_resolution_estimate: number | null }>>('/micrographs');
  const holes = await api<Row[]>('/foilholes');
  assert.equal(
    collection.squares.reduce((a, s) => a + s.micrographs, 0),
    micrographs.length,
  );
  assert.equal(
    collection.squares.reduce((a, s) => a + s.foilholes, 0),
    holes.length,
  );
  assert.equal(collection.micrographs.ctf.length, micrographs.filter((m) => m.ctf_max_resolution_estimate !== null).length);
  const good = micrographs.filter(
    (m) => m.ctf_max_resolution_estimate !== null && m.ctf_max_resolution_estimate <= collection.ctf_max_resolution,
  ).length;
  assert.equal(
    collection.squares.reduce((a, s) => a + s.good, 0),
    good,
  );
  assert.ok(good > 0 && good < micrographs.length, `a mix of good and bad micrographs (${good} of ${micrographs.length})`);
  const missing = await fetch(`${url()}/grids/no-such-grid/collection`);
  assert.equal(missing.status, 404);
  assert.equal((await fetch(`${url()}/gridsquares/no-such-square/collection`)).status, 404);
});

test("the good-over-time plot draws EPU's default order once a curve is stored, live, and not before", {
  skip: skip ?? false,
}, async () => {
  const grid = (await api<Row[]>('/grids'))[0];
  const { over_time } = await api<{ over_time: { t: number[]; good: number[] } }>(`/grids/${grid.uuid}/overview`);
  assert.ok(over_time.t.length > 1, 'the fixture has CTF results over time');
  const page = await newPage();
  await page.goto(`${url()}/ui/grids/${grid.uuid}`);
  await mapDrawn(page, 'atlas-epu-default');
  const plot = page.locator('figure[data-chart="good-over-time"]');
  await plot.locator('.u-legend').waitFor();
  assert.equal(await plot.getAttribute('data-epu-default-points'), '0');
  assert.doesNotMatch((await plot.locator('.u-legend').textContent()) ?? '', /EPU default order/);

  // Half of SmartEM's good micrographs at each of its times, and one point after SmartEM's last result (not drawn).
  const points = over_time.t.map((t, k) => ({ t, beam_time: k, good: Math.floor(over_time.good[k]! / 2) }));
  points.push({ t: over_time.t.at(-1)! + 3_600_000, beam_time: points.length, good: points.at(-1)!.good + 1 });
  await fed!.api(`/grids/${grid.uuid}/epu_default_order`, { method: 'PUT', body: JSON.stringify({ points }) });
  // The page was not reloaded: the live stream brings the new overview.
  await page.locator(`figure[data-chart="good-over-time"][data-epu-default-points="${over_time.t.length}"]`).waitFor({ timeout: 30_000 });
  const legend = (await plot.locator('.u-legend').textContent()) ?? '';
  assert.match(legend, /good: EPU default order/);
  assert.match(legend, /good: SmartEM/);
  assert.match((await plot.textContent()) ?? '', /Dashed: EPU's default order/);
  await plot.screenshot({ path: join(OUTPUT, 'atlas-good-over-time-epu-default.png') });
  await page.screenshot({ path: join(OUTPUT, 'atlas-epu-default.png'), fullPage: true });
  assert.deepEqual(
    problems.filter((p) => !p.startsWith('slow')),
    [],
  );
  await page.close();
});

test('the home page reads the agent sessions once, lists the current ones and keeps ended ones collapsed', {
  skip: skip ?? false,
}, async () => {
  const grid = (await api<Array<Row & { acquisition_uuid: string }>>('/grids'))[0]!;
  const acquisition = { uuid: grid.acquisition_uuid };
  // An agent that restarted: its first session ended when the second began (neither is connected: no agent runs).
  for (const session of ['rig-1', 'rig-2']) {
    await fed!.api(`/agent/rig-agent/session/${session}`, {
      method: 'PUT',
      body: JSON.stringify({ acquisition_uuid: acquisition.uuid, mode: 'observe' }),
    });
  }
  // Three more acquisitions: a read of the sessions per acquisition would show as several reads.
  for (const k of [1, 2, 3])
    await fed!.api('/acquisitions', { method: 'POST', body: JSON.stringify({ uuid: `acq-extra-${k}`, name: `extra ${k}` }) });
  const acquisitions = (await api<Row[]>('/acquisitions')).length;
  const page = await newPage();
  let asked = 0;
  page.on('request', (r) => void (r.method() === 'GET' && new URL(r.url()).pathname === '/agents' && asked++));
  await page.goto(`${url()}/ui/`);
  for (const a of await api<Row[]>('/acquisitions')) await page.locator(`[data-acquisition-id="${a.uuid}"] h2`).waitFor();
  const card = page.locator(`[data-acquisition-id="${acquisition.uuid}"]`);
  const current = card.locator('tr[data-session-id="rig-2"]');
  await current.waitFor();
  // One read for the page (a second only if the page's 15 s refresh came meanwhile), not one more per acquisition.
  assert.ok(asked >= 1 && asked < acquisitions, `${asked} GET /agents for a page of ${acquisitions} acquisitions`);
  assert.equal(await current.getAttribute('data-ended'), 'false');
  assert.match((await current.textContent()) ?? '', /not connected/);
  const ended = card.locator('tr[data-session-id="rig-1"]');
  assert.equal(await ended.getAttribute('data-ended'), 'true');
  assert.equal(await ended.isVisible(), false, 'the ended session is collapsed');
  const summary = card.locator('[data-testid="ended-sessions"] summary');
  assert.match((await summary.textContent()) ?? '', /^1 ended agent session\b/);
  await summary.click();
  await ended.waitFor({ state: 'visible' });
  assert.match((await ended.locator('.badge').textContent()) ?? '', /^ended$/);
  await page.screenshot({ path: join(OUTPUT, 'home-sessions.png'), fullPage: true });
  assert.deepEqual(
    problems.filter((p) => !p.startsWith('slow')),
    [],
  );
  await page.close();
});

test('a grid page load reads the agent sessions once', { skip: skip ?? false }, async () => {
  const grid = (await api<Row[]>('/grids'))[0]!;
  const page = await newPage();
  let asked = 0;
  page.on('request', (r) => void (r.method() === 'GET' && new URL(r.url()).pathname === '/agents' && asked++));
  await page.goto(`${url()}/ui/grids/${grid.uuid}`);
  await mapDrawn(page, 'atlas-agents');
  await page.locator('[data-testid="awaiting-count"]').filter({ hasText: /^\d+$/ }).waitFor();
  // The panel has its sessions, so the page's read is done.
  assert.equal(asked, 1, `${asked} GET /agents for one grid page load`);
  await page.close();
});

test('a burst of changes to an open square re-reads it far fewer times than there are changes and ends showing them all; a change after a quiet spell shows at once', {
  skip: skip ?? false,
}, async () => {
  const grid = (await api<Row[]>('/grids'))[0]!;
  // A square with its image (the page asks for it; one without would answer 404).
  const squares = await api<Array<Row & { gridsquare_id: string }>>(`/grids/${grid.uuid}/gridsquares`);
  const pictured = await Promise.all(squares.map(async (s) => (await fetch(`${url()}/images/gridsquare/${s.uuid}`)).ok));
  const square = squares.find((_, k) => pictured[k])!;
  const holes = (await api<Row[]>(`/gridsquares/${square.uuid}/foilholes`)).length;
  const addHole = (k: number) =>
    fed!.api('/batch/foilholes', {
      method: 'POST',
      body: JSON.stringify({
        items: [
          {
            uuid: `burst-fh-${k}`,
            foilhole_id: String(800_000 + k),
            gridsquare_uuid: square.uuid,
            gridsquare_id: square.gridsquare_id,
            x_location: 10 + k,
            y_location: 10,
          },
        ],
      }),
    });
  const page = await newPage();
  let reads = 0;
  page.on(
    'request',
    (r) => void (r.method() === 'GET' && new URL(r.url()).pathname === `/gridsquares/${square.uuid}/foilholes` && reads++),
  );
  // The page's clock is the test's: its timers (the live stream's coalescing, the rest between re-reads) run only as
  // far as the test moves it, so what is counted does not depend on how fast this machine is.
  await page.clock.install();
  await page.goto(`${url()}/ui/grids/${grid.uuid}/squares/${square.uuid}`);
  await mapDrawn(page, 'square-burst');
  await page.locator('[data-live="live"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-foilhole-id]').count(), holes);
  const pageNow = async () => Number(await page.evaluate('Date.now()'));
  // A quiet spell after the first read.
  await page.clock.pauseAt((await pageNow()) + 1000);
  reads = 0;

  // N changes, each given time (real) to reach the page and be re-read, then STEP_MS of the page's time: without a
  // rest the page re-reads on nearly every one; with it, at most once per rest of the N × STEP_MS the page lived through.
  const N = 60;
  const STEP_MS = 20;
  for (let k = 0; k < N; k++) {
    await addHole(k);
    await new Promise((r) => setTimeout(r, 50));
    await page.clock.runFor(STEP_MS);
  }
  await page.clock.runFor(1000);
  // The final state: every new hole listed.
  await page.waitForFunction(`document.querySelectorAll('[data-foilhole-id]').length === ${holes + N}`, undefined, { timeout: 30_000 });
  process.stdout.write(`${N} changes to an open square in ${N * STEP_MS} ms of the page's time: ${reads} re-reads of its foil holes\n`);
  assert.ok(reads >= 1 && reads <= N / 4, `${reads} re-reads of the square for ${N} changes`);

  // After a quiet spell, one change is read at once: shown before the page's clock has moved 200 ms, less than the
  // rest between re-reads (`REREAD_REST_MS`); the clock moves 1 ms per 100 ms here, for the change to reach the page.
  await page.clock.runFor(1000);
  const quietSince = await pageNow();
  await addHole(N);
  const added = page.locator(`[data-foilhole-id="${800_000 + N}"]`);
  while ((await added.count()) === 0) {
    assert.ok((await pageNow()) - quietSince < 200, 'a change after a quiet spell waits for no rest');
    await new Promise((r) => setTimeout(r, 100));
    await page.clock.runFor(1);
  }
  await page.clock.resume();
  assert.deepEqual(
    problems.filter((p) => !p.startsWith('slow')),
    [],
  );
  await page.close();
});
