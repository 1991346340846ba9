/**
 * The recommendations panel end to end, in a real browser: the embedded backend with its decision engine, a real
 * agent process (`smartem agent watch --mode confirm --athena …`) and the Athena stand-in recording what reaches it.
 * Processing results make the engine recommend; the agent in confirm mode leaves them awaiting an operator. Approving
 * one in the dashboard delivers it to the agent, which sends its decisions to Athena; declining one finishes it
 * without reaching the agent; an operator's Skip of a grid square, and Include / Skip of a foil hole, reach the agent
 * and Athena at once. The panel follows the page's live stream (it does not poll). The home page lists the agent,
 * connected, with its last heartbeat.
 * Screenshots go to packages/web/test-output/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startAthenaMock, type AthenaMock, type RecordedRequest } from '@smartem/athena/mock';
import { CONNECTION_TIMEOUT_MS, startBackend, type RunningBackend } from '@smartem/backend';
import { createLogger, type AgentSession, type InstructionRecord } from '@smartem/common';
import { buildVisit, generateVisit, type VisitOptions } from '@smartem/epu-sim';
import { buildDashboard } from '../src/build.ts';
import { startAgentProcess, waitFor, type AgentProcess } from './agent.ts';
import { browserMissing, launchChromium } from './browser.ts';
import { postResults, type Row } from './fixture.ts';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const skip = browserMissing();
const VISIT: VisitOptions = { squares: 5, holesPerSquare: 8, shotsPerHole: 1, grids: 1, seed: 41 };
const AGENT_ID = 'web-confirm-agent';

let base: string;
let backend: RunningBackend | undefined;
let athena: AthenaMock | undefined;
let agent: AgentProcess | undefined;
let browser: Browser | undefined;
let grid: Row & { name: string };
let session: AgentSession;
const record = () => join(base, 'athena.jsonl');

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${backend!.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const instructions = () => api<InstructionRecord[]>(`/agent/${AGENT_ID}/session/${session.session_id}/instructions`);
const instruction = async (id: string) => (await instructions()).find((i) => i.instruction_id === id);

/** The requests the Athena stand-in recorded that carry `text` (decisions name their instruction in `details`). */
async function atAthena(text: string): Promise<RecordedRequest[]> {
  const lines = (await readFile(record(), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.map((l) => JSON.parse(l) as RecordedRequest).filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes(text));
}

before(async () => {
  if (skip) return;
  await buildDashboard();
  await mkdir(OUTPUT, { recursive: true });
  base = await mkdtemp(join(tmpdir(), 'smartem-web-recs-'));
  const log = createLogger({ level: 'error', name: 'web-recs-test' });
  backend = await startBackend({ log, dataDir: join(base, 'db'), host: '127.0.0.1', port: 0, worker: true, migrate: true });
  athena = await startAthenaMock({ port: 0, recordFile: record(), log: () => {} });
  const dir = join(base, 'visit');
  const generated = await generateVisit({ ...VISIT, out: dir });
  agent = startAgentProcess(dir, backend.url, join(base, 'agent'), ['--agent-id', AGENT_ID, '--mode', 'confirm', '--athena', athena.url]);
  // Its first heartbeat (sent right after registering) reports its intake backlog.
  session = await waitFor('the agent session with its backlog', async () =>
    (await api<AgentSession[]>('/agents')).find((s) => s.agent_id === AGENT_ID && s.intake_pending !== null),
  );
  const want = generated.counts;
  await waitFor(`the visit ingested (${want.micrographs} micrographs)`, async () => {
    const [squares, micrographs] = await Promise.all([api<Row[]>('/gridsquares'), api<Row[]>('/micrographs')]);
    return squares.length === want.gridSquares && micrographs.length === want.micrographs;
  });
  grid = (await api<Array<Row & { name: string }>>('/grids'))[0]!;
  await postResults(api, buildVisit(VISIT));
  // The engine recommends after each result; wait until what awaits approval stops changing.
  let last = '';
  let same = 0;
  await waitFor('recommendations awaiting approval', async () => {
    const now = JSON.stringify((await instructions()).filter((i) => i.status === 'awaiting_approval').map((i) => i.instruction_id));
    same = now === last && now !== '[]' ? same + 1 : 0;
    last = now;
    return same >= 4;
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await agent?.stop();
  await athena?.close();
  await backend?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

const problems: string[] = [];
async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return page;
}

/** The first pending recommendation in the panel, and its id. */
async function firstPending(page: Page) {
  const item = page.locator('[data-testid="recommendations"] .awaiting-list > li').first();
  await item.waitFor({ timeout: 30_000 });
  return { item, id: (await item.getAttribute('data-instruction-id'))! };
}

test('approving a recommendation in the dashboard reaches the agent as an instruction and Athena as decisions', {
  skip: skip ?? false,
}, async () => {
  const awaiting = (await instructions()).filter((i) => i.status === 'awaiting_approval' && i.payload.grid_uuid === grid.uuid);
  assert.ok(awaiting.length > 0);
  assert.equal(await readFile(record(), 'utf8').catch(() => ''), '', 'nothing reached Athena before an approval');
  const page = await newPage();

  await page.goto(`${backend!.url}/ui/`);
  const badge = page.locator('[data-testid="awaiting-approval"]');
  await badge.waitFor();
  assert.match((await badge.textContent()) ?? '', new RegExp(`^${awaiting.length} recommendations? awaiting approval`));
  // The acquisition's agents: this one, connected, in confirm mode, with a heartbeat recent enough to count.
  const agentRow = page.locator(`[data-acquisition-id="${session.acquisition_uuid}"] tr[data-agent-id="${AGENT_ID}"]`);
  await agentRow.waitFor();
  assert.equal(await agentRow.getAttribute('data-connected'), 'true');
  assert.match((await agentRow.textContent()) ?? '', /confirm/);
  const heartbeat = /^(\d+) s ago$/.exec((await agentRow.locator('.heartbeat').textContent()) ?? '');
  assert.ok(heartbeat, 'the last heartbeat shown as "n s ago"');
  assert.ok(Number(heartbeat[1]) < CONNECTION_TIMEOUT_MS / 1000, `heartbeat ${heartbeat[1]} s ago`);
  assert.match((await agentRow.locator('.intake').textContent()) ?? '', /^backlog \d+ · orphans \d+ · failed \d+$/);
  await page.screenshot({ path: join(OUTPUT, 'recommendations-home.png'), fullPage: true });

  await page.goto(`${backend!.url}/ui/grids/${grid.uuid}`);
  const panel = page.locator('[data-testid="recommendations"]');
  await panel.locator('.awaiting-list > li').first().waitFor();
  assert.equal(await panel.locator('.awaiting-list > li').count(), awaiting.length);
  assert.equal(await panel.locator('[data-testid="awaiting-count"]').textContent(), String(awaiting.length));
  await page.screenshot({ path: join(OUTPUT, 'recommendations-pending.png'), fullPage: true });

  const { item, id } = await firstPending(page);
  const before = (await instruction(id))!;
  assert.equal(before.status, 'awaiting_approval');
  // What and why: the panel says what the instruction does and names the areas of its payload.
  const text = (await item.textContent()) ?? '';
  const areas = JSON.stringify(before.payload).match(/"(?:gridsquare|foilhole)_id":"(\d+)"/)?.[1];
  assert.ok(areas && text.includes(areas), `the entry names the areas: ${text}`);

  // Keyboard: focus Approve and press Enter.
  await item.getByRole('button', { name: /^Approve:/ }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[role="status"]', { hasText: 'Approved' }).waitFor();
  const done = await waitFor('the agent to process the approved instruction', async () => {
    const i = await instruction(id);
    return i?.status === 'processed' ? i : undefined;
  });
  assert.ok(done.acknowledged_at && done.sent_at, 'delivered to and acknowledged by the agent');
  const decisionIds = (done.result as { decision_ids: string[] }).decision_ids;
  assert.ok(decisionIds.length > 0);
  const posted = await waitFor('the decisions at Athena', async () => ((await atAthena(id)).length > 0 ? atAthena(id) : undefined));
  const sent = JSON.stringify(posted.map((r) => r.body));
  for (const d of decisionIds) assert.ok(sent.includes(d), `decision ${d} reached Athena`);
  assert.match(agent!.output(), new RegExp(`${id}.*decisions sent to Athena|decisions sent to Athena.*${id}`));

  // The panel shows it processed among the latest instructions.
  await page.locator(`.recent [data-instruction-id="${id}"][data-status="processed"]`).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(`.awaiting-list [data-instruction-id="${id}"]`).count(), 0);
  await page.screenshot({ path: join(OUTPUT, 'recommendations-approved.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('declining a recommendation finishes it without reaching the agent or Athena', { skip: skip ?? false }, async () => {
  const page = await newPage();
  await page.goto(`${backend!.url}/ui/grids/${grid.uuid}`);
  const { item, id } = await firstPending(page);
  await item.getByRole('button', { name: /^Decline:/ }).click();
  await page.locator('[role="status"]', { hasText: 'Declined' }).waitFor();
  await page.locator(`.recent [data-instruction-id="${id}"][data-status="declined"]`).waitFor({ timeout: 30_000 });
  const declined = (await instruction(id))!;
  assert.equal(declined.status, 'declined');
  assert.equal(declined.sent_at, null, 'never sent to the agent');
  // An approval after it is refused, and the agent never heard of it.
  const again = await fetch(`${backend!.url}/instructions/${id}/approve`, { method: 'POST' });
  assert.equal(again.status, 409);
  assert.deepEqual(await atAthena(id), []);
  assert.ok(!agent!.output().includes(id), 'the agent never received it');
  await page.screenshot({ path: join(OUTPUT, 'recommendations-declined.png'), fullPage: true });
  await page.close();
});

test("an operator's Skip of a grid square reaches the agent and Athena at once (no approval needed)", { skip: skip ?? false }, async () => {
  const squares = await api<Array<Row & { gridsquare_id: string }>>(`/grids/${grid.uuid}/gridsquares`);
  const holes = await api<Array<Row & { gridsquare_uuid: string }>>('/foilholes');
  const square = squares.find((s) => holes.some((h) => h.gridsquare_uuid === s.uuid))!;
  const page = await newPage();
  await page.goto(`${backend!.url}/ui/grids/${grid.uuid}/squares/${square.uuid}`);
  await page.getByRole('button', { name: `Skip grid square ${square.gridsquare_id}` }).click();
  await page.locator('[role="status"]', { hasText: `Skip grid square ${square.gridsquare_id} sent to 1 agent` }).waitFor();
  const mine = await waitFor('the processed skip', async () =>
    (await instructions()).find((i) => i.instruction_type === 'athena.control.select_area' && i.status === 'processed'),
  );
  assert.equal(mine.payload.gridsquare_uuid, square.uuid);
  assert.equal(mine.payload.include, false);
  const posted = await waitFor('the skip at Athena', async () =>
    (await atAthena(mine.instruction_id)).length > 0 ? atAthena(mine.instruction_id) : undefined,
  );
  const decisions = posted.flatMap((r) => (Array.isArray(r.body) ? r.body : [r.body])) as Array<{
    areaId: number;
    decisionType: string;
    decisionValue: string;
  }>;
  assert.ok(
    decisions.some((d) => d.areaId === Number(square.gridsquare_id) && d.decisionType === 'include' && d.decisionValue === 'false'),
    JSON.stringify(decisions),
  );

  // A hole: select it, include it, then skip it; each reaches Athena as an include decision on the hole.
  const hole = page.locator('[data-foilhole-id]').first();
  const holeId = (await hole.getAttribute('data-foilhole-id'))!;
  await hole.click();
  for (const [action, include] of [
    ['Include', true],
    ['Skip', false],
  ] as const) {
    await page.getByRole('button', { name: `${action} foil hole ${holeId}` }).click();
    await page.locator('[role="status"]', { hasText: `${action} foil hole ${holeId} sent to 1 agent` }).waitFor();
    const done = await waitFor(`the processed ${action}`, async () =>
      (await instructions()).find((i) => i.payload.foilhole_id === holeId && i.payload.include === include && i.status === 'processed'),
    );
    // The panel shows it through the page's live stream.
    await page.locator(`.recent [data-instruction-id="${done.instruction_id}"][data-status="processed"]`).waitFor({ timeout: 30_000 });
    const atHole = (await atAthena(done.instruction_id)).flatMap((r) => (Array.isArray(r.body) ? r.body : [r.body])) as Array<{
      areaId: number;
      decisionType: string;
      decisionValue: string;
    }>;
    assert.deepEqual(
      atHole.filter((d) => d.decisionType === 'include').map((d) => [d.areaId, d.decisionValue]),
      [[Number(holeId), String(include)]],
    );
  }
  await page.screenshot({ path: join(OUTPUT, 'recommendations-square.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
