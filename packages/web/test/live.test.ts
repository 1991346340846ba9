/**
 * The dashboard follows the backend live, in a real browser against a real embedded backend fed by the agent watching
 * a simulated EPU visit as it is written: the atlas page, opened while the simulator writes, shows every micrograph
 * as it arrives without a reload (each one's latency from the simulator writing it to the page showing it is logged,
 * with and without the agent's catch-up after the pause that makes sure micrographs arrive after the page opened);
 * a micrograph the backend accepts moves the "being collected" state to its square, and a new foil hole appears on its
 * square's page, without a reload. The 2 s target is logged, not asserted (the machine is shared and noisy).
 * The backend as its own process (`smartem up`), killed and started again on the same data directory and port while
 * the atlas is open: the badge says reconnecting, then live; the stream resumes from its Last-Event-ID, and a
 * recommendation written into the database while the backend was away appears in the recommendations panel without a
 * reload (as does an operator's instruction while it runs: the panel follows the stream, it does not poll).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startWatch } from '@smartem/agent';
import { findAgentSession, issueInstructions, openDatabase } from '@smartem/backend';
import { createLogger, type InstructionRecord } from '@smartem/common';
import { playVisit, type VisitOptions } from '@smartem/epu-sim';
import { buildDashboard } from '../src/build.ts';
import { freePort } from '../../agent/test/support/processes.ts';
import { startBackendProcess, type BackendProcess } from './agent.ts';
import { browserMissing, launchChromium } from './browser.ts';
import { startBackendIn, type FedBackend, type Row } from './fixture.ts';
import { installCountLog, latencies, markPage, readCountLog, stillMarked, summary, waitForTotal, type Written } from './live-latency.ts';

const skip = browserMissing();
const VISIT: VisitOptions = { squares: 3, holesPerSquare: 4, shotsPerHole: 2, grids: 1, seed: 21 };

let base: string;
let fed: FedBackend | undefined;
let watch: Awaited<ReturnType<typeof startWatch>> | undefined;
let browser: Browser | undefined;
let backendProcess: BackendProcess | undefined;
const api = <T>(path: string, init?: RequestInit) => fed!.api<T>(path, init);
const startAgent = () =>
  startWatch({
    dir: join(base, 'visit'),
    api: fed!.backend.url,
    stateDir: join(base, 'agent'),
    log: createLogger({ level: 'error', name: 'web-live-agent' }),
  });

before(async () => {
  if (skip) return;
  await buildDashboard();
  base = await mkdtemp(join(tmpdir(), 'smartem-web-live-'));
  fed = await startBackendIn(base);
  await mkdir(join(base, 'visit'));
  watch = await startWatch({
    dir: join(base, 'visit'),
    api: fed.backend.url,
    stateDir: join(base, 'agent'),
    log: createLogger({ level: 'error', name: 'web-live-agent' }),
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await watch?.stop();
  await fed?.stop();
  await backendProcess?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openLive(path: string, origin = fed!.backend.url): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
  await installCountLog(page);
  await page.goto(`${origin}${path}`);
  await page.locator('[data-live="live"]').waitFor({ timeout: 30_000 });
  // Gone if the page reloads.
  await markPage(page);
  return page;
}

const notReloaded = stillMarked;

test('micrographs the simulator writes appear on the open atlas without a reload', { skip: skip ?? false }, async () => {
  const written: Written[] = [];
  const playing = playVisit({
    ...VISIT,
    out: join(base, 'visit'),
    // paced, so that micrographs are still being written once the page is open
    speed: 200,
    maxDelayMs: 1500,
    onEvent: (e) => {
      if (e.type === 'file' && e.kind === 'micrograph-manifest' && !e.rewrite) {
        const square = /GridSquare_(\d+)/.exec(e.path)?.[1];
        if (square) written.push({ square, at: Date.now() });
      }
    },
  });
  await waitUntil('the grid', async () => (await api<Row[]>('/grids')).length === 1);
  // The agent pauses while the page opens (the simulator goes on writing), so micrographs surely arrive after.
  await watch!.stop();
  const grid = (await api<Row[]>('/grids'))[0]!;
  const page = await openLive(`/ui/grids/${grid.uuid}`);
  watch = await startAgent();
  const liveAt = Date.now();
  // Micrographs written before the resumed agent has caught up with the pause wait behind that catch-up.
  let caughtUpAt = Number.POSITIVE_INFINITY;
  void watch.whenSettled().then(() => (caughtUpAt = Date.now()));
  await playing;
  const total = written.length;
  await waitUntil(`${total} micrographs through the agent`, async () => (await api<Row[]>('/micrographs')).length === total, 120_000);
  // Every micrograph the API lists is counted on the page, with no reload.
  await waitForTotal(page, total, 60_000);
  assert.ok(await notReloaded(page), 'the page was not reloaded');
  const log = await readCountLog(page);
  const grew = Object.values(log).some((counts) => {
    const first = Math.min(...Object.values(counts));
    return Object.values(counts).some((at) => at > first && at >= liveAt);
  });
  assert.ok(grew, `a square's micrograph count went up while the page was open: ${JSON.stringify(log)}`);
  const report = (what: string, since: number) => {
    const measured = latencies(written, log, since);
    process.stdout.write(`simulator write → atlas shows it, ${what}: ${measured.length > 0 ? summary(measured) : 'none written then'}\n`);
  };
  report("after the agent resumed (its catch-up included; the agent's detection and sync always)", liveAt);
  report('after the agent caught up (target: p99 ≤ 2000 ms)', caughtUpAt);
  await page.close();
});

test('an accepted micrograph makes its square the one being collected; a new foil hole appears on its square page', {
  skip: skip ?? false,
}, async () => {
  const grid = (await api<Row[]>('/grids'))[0]!;
  const page = await openLive(`/ui/grids/${grid.uuid}`);
  const idle = page.locator('[data-square-id][data-state="collected"]').first();
  await idle.waitFor({ timeout: 60_000 });
  const squareId = (await idle.getAttribute('data-square-id'))!;
  const square = (await api<Array<Row & { gridsquare_id: string }>>(`/grids/${grid.uuid}/gridsquares`)).find(
    (s) => s.gridsquare_id === squareId,
  )!;
  const hole = (await api<Array<Row & { foilhole_id: string }>>(`/gridsquares/${square.uuid}/foilholes`))[0]!;
  const sent = Date.now();
  await api('/batch/micrographs', {
    method: 'POST',
    body: JSON.stringify({
      items: [
        {
          uuid: 'live-m',
          micrograph_id: 'live-m',
          foilhole_uuid: hole.uuid,
          foilhole_id: hole.foilhole_id,
          acquisition_datetime: new Date().toISOString(),
        },
      ],
    }),
  });
  const accepted = Date.now();
  await page.locator(`[data-square-id="${squareId}"][data-state="collecting"]`).waitFor({ timeout: 30_000 });
  const shown = Date.now();
  process.stdout.write(
    `accepted micrograph → square shown collecting: ${shown - accepted} ms after the backend answered (${shown - sent} ms after sending; target 2000 ms)\n`,
  );
  assert.equal(await page.locator('[data-state="collecting"]').count(), 1, 'one square is being collected');
  assert.ok(await notReloaded(page));
  await page.close();

  const squarePage = await openLive(`/ui/grids/${grid.uuid}/squares/${square.uuid}`);
  await squarePage.locator('[data-foilhole-id]').first().waitFor({ timeout: 60_000 });
  const before = await squarePage.locator('[data-foilhole-id]').count();
  await api('/batch/foilholes', {
    method: 'POST',
    body: JSON.stringify({
      items: [
        { uuid: 'live-fh', foilhole_id: '999999', gridsquare_uuid: square.uuid, gridsquare_id: squareId, x_location: 5, y_location: 5 },
      ],
    }),
  });
  await squarePage.locator('[data-foilhole-id="999999"]').waitFor({ timeout: 30_000 });
  assert.equal(await squarePage.locator('[data-foilhole-id]').count(), before + 1);
  assert.ok(await notReloaded(squarePage));
  await squarePage.close();
});

test('the backend killed and started again: reconnecting, then live, and a recommendation written meanwhile appears without a reload', {
  skip: skip ?? false,
}, async () => {
  // The same data, now served by a process of its own that can be killed.
  await watch!.stop();
  watch = undefined;
  await fed!.stop();
  fed = undefined;
  const dataDir = join(base, 'db');
  const port = await freePort();
  backendProcess = await startBackendProcess(dataDir, port);
  const origin = backendProcess.url;
  const call = async <T>(path: string, method = 'GET', body?: object): Promise<T> => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const grid = (await call<Array<Row & { acquisition_uuid: string }>>('/grids'))[0]!;
  const [square] = await call<Array<Row & { gridsquare_id: string }>>(`/grids/${grid.uuid}/gridsquares`);
  // An agent in confirm mode serves the acquisition: SmartEM's recommendations wait for an operator.
  await call('/agent/restart-agent/session/restart-session', 'PUT', { acquisition_uuid: grid.acquisition_uuid, mode: 'confirm' });
  const page = await openLive(`/ui/grids/${grid.uuid}`, origin);
  // The id each stream the backend answered resumed from (EventSource's Last-Event-ID header, or the page's query).
  const streams: Array<Promise<string | null>> = [];
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (url.pathname !== '/events/stream') return;
    streams.push(
      r
        .request()
        .allHeaders()
        .then((h) => h['last-event-id'] ?? url.searchParams.get('last_event_id')),
    );
  });
  const panel = page.locator('[data-testid="recommendations"]');
  await panel.locator('text=Nothing awaits approval.').waitFor({ timeout: 30_000 });

  // While it runs: an operator's instruction shows in the panel's latest instructions, through the stream.
  const [operatorSkip] = await call<InstructionRecord[]>('/instructions', 'POST', { action: 'skip', gridsquare_uuid: square!.uuid });
  await panel.locator(`.recent [data-instruction-id="${operatorSkip!.instruction_id}"]`).waitFor({ timeout: 30_000 });

  await backendProcess.kill();
  await page.locator('[data-live="reconnecting"]').waitFor({ timeout: 30_000 });
  const before = streams.length;
  // Written while the backend is away: the engine's recommendation, straight into its database.
  const handle = await openDatabase({ dataDir });
  let recommendation: string;
  try {
    const session = (await findAgentSession(handle.db, 'restart-session'))!;
    const [row] = await issueInstructions(
      handle.db,
      [session],
      [
        {
          type: 'athena.control.skip_gridsquares',
          topic: `skip:${grid.uuid}`,
          payload: {
            grid_uuid: grid.uuid,
            gridsquares_to_skip: [
              { gridsquare_uuid: square!.uuid, gridsquare_id: square!.gridsquare_id, skip_reason: 'written while away' },
            ],
          },
        },
      ],
    );
    recommendation = row!.instruction_id;
  } finally {
    await handle.close();
  }
  backendProcess = await startBackendProcess(dataDir, port);
  await page.locator('[data-live="live"]').waitFor({ timeout: 60_000 });
  await panel.locator(`.awaiting-list [data-instruction-id="${recommendation}"]`).waitFor({ timeout: 30_000 });
  assert.match((await panel.locator(`[data-instruction-id="${recommendation}"]`).textContent()) ?? '', /written while away/);
  assert.ok(await notReloaded(page), 'the page was not reloaded');
  const again = await Promise.all(streams.slice(before));
  assert.ok(again.length > 0, 'the backend answered a new stream');
  assert.ok(
    again.every((id) => id !== null && /^\d+-\d+$/.test(id)),
    `the new stream resumes from the last event seen: ${JSON.stringify(again)}`,
  );
  await page.close();
});
