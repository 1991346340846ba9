// The agent applying the backend's instructions at the Athena Decision Service, with real processes: the embedded
// backend (which writes the instructions, as the decision engine does), `smartem agent watch --mode … --athena …`
// and the Athena stand-in. Auto mode sends the right decisions; the agent killed between receiving and acknowledging
// applies the instruction once after its restart; Athena away means the decisions arrive, in order, when it returns;
// observe mode sends nothing; confirm mode waits for the operator; the backend killed while an instruction is unacknowledged changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AthenaClient, decodeDecision, type DecisionRecord } from '@smartem/athena';
import { startAthenaMock, type AthenaMock, type RecordedRequest } from '@smartem/athena/mock';
import type { AgentSession, InstructionRecord } from '@smartem/common';
import { generateVisit } from '@smartem/epu-sim';
import {
  backendContents,
  freePort,
  startAgent,
  startInstructionBackend,
  type Child,
  type InstructionBackend,
} from './support/processes.ts';
import { tempDir } from './support/scenario.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: InstructionBackend;
const agents: Child[] = [];
const mocks: AthenaMock[] = [];
const dataDir = () => join(tmp.path, 'db');

before(async () => {
  tmp = await tempDir('smartem-watch-instructions-');
  backend = await startInstructionBackend(dataDir());
});
after(async () => {
  for (const a of agents) await a.stop();
  for (const m of mocks) await m.close();
  await backend?.stop();
  await tmp?.remove();
});

async function api<T>(path: string, method = 'GET'): Promise<T> {
  const res = await fetch(`${backend.url}${path}`, { method });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function athenaMock(name: string, port = 0): Promise<{ mock: AthenaMock; record: string }> {
  const record = join(tmp.path, `${name}-athena.jsonl`);
  const mock = await startAthenaMock({ port, recordFile: record, log: () => {} });
  mocks.push(mock);
  return { mock, record };
}

async function recorded(file: string): Promise<RecordedRequest[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RecordedRequest);
}

interface Visit {
  agentId: string;
  sessionId: string;
  gridUuid: string;
  gridName: string;
  /** The grid's squares (EPU ids and uuids; the first one has foil holes) and the foil holes of the first one. */
  squares: { uuid: string; id: string }[];
  holes: { uuid: string; id: string }[];
  stateDir: string;
  dir: string;
}

/** Generates a one-grid visit, starts an agent on it and waits until its session is registered and its squares synced. */
async function visitWithAgent(name: string, seed: number, agentArgs: string[]): Promise<{ visit: Visit; agent: Child }> {
  const dir = join(tmp.path, name);
  const stateDir = join(tmp.path, `${name}-state`);
  await generateVisit({ out: dir, seed, squares: 3, holesPerSquare: 3, shotsPerHole: 1, grids: 1 });
  const agentId = `agent-${name}`;
  const agent = startAgent(dir, backend.url, stateDir, ['--agent-id', agentId, ...agentArgs]);
  agents.push(agent);
  const session = await waitFor('the agent session', async () =>
    (await api<AgentSession[]>('/agents')).find((s) => s.agent_id === agentId),
  );
  const visit = await waitFor('the visit in the backend', async () => {
    const c = await backendContents(backend.url);
    const grid = c.grids.find((g) => g.acquisition_uuid === session.acquisition_uuid);
    if (!grid) return undefined;
    const squares = c.gridsquares.filter((s) => s.grid_uuid === grid.uuid).sort((a, b) => a.gridsquare_id.localeCompare(b.gridsquare_id));
    const first = squares.find((s) => c.foilholes.filter((h) => h.gridsquare_uuid === s.uuid).length >= 3);
    if (squares.length < 3 || !first) return undefined;
    const holes = c.foilholes.filter((h) => h.gridsquare_uuid === first.uuid).sort((a, b) => a.foilhole_id.localeCompare(b.foilhole_id));
    return {
      agentId,
      sessionId: session.session_id,
      gridUuid: grid.uuid,
      gridName: grid.name,
      squares: [first, ...squares.filter((s) => s !== first)].map((s) => ({ uuid: s.uuid, id: s.gridsquare_id })),
      holes: holes.map((h) => ({ uuid: h.uuid, id: h.foilhole_id })),
      stateDir,
      dir,
    } satisfies Visit;
  });
  return { visit, agent };
}

const squareOrder = (v: Visit) => ({
  type: 'athena.control.reorder_gridsquares',
  topic: 'gridsquare-order',
  payload: {
    grid_uuid: v.gridUuid,
    gridsquare_order: [...v.squares].reverse().map((s, i) => ({ gridsquare_uuid: s.uuid, gridsquare_id: s.id, quality_score: 1 - i / 10 })),
  },
});
const skipLast = (v: Visit) => ({
  type: 'athena.control.skip_gridsquares',
  topic: 'gridsquare-skip',
  payload: {
    grid_uuid: v.gridUuid,
    gridsquares_to_skip: [{ gridsquare_uuid: v.squares.at(-1)!.uuid, gridsquare_id: v.squares.at(-1)!.id, skip_reason: 'thick ice' }],
  },
});
const holeOrder = (v: Visit) => ({
  type: 'athena.control.reorder_foilholes',
  topic: `foilholes:${v.squares[0]!.uuid}`,
  payload: {
    grid_uuid: v.gridUuid,
    gridsquare_uuid: v.squares[0]!.uuid,
    gridsquare_id: v.squares[0]!.id,
    foilhole_order: [v.holes[2]!, v.holes[1]!].map((h, i) => ({ foilhole_uuid: h.uuid, foilhole_id: h.id, priority_score: 0.9 - i / 10 })),
    foilholes_to_skip: [{ foilhole_uuid: v.holes[0]!.uuid, foilhole_id: v.holes[0]!.id }],
  },
});

async function instructions(v: Visit): Promise<InstructionRecord[]> {
  return api<InstructionRecord[]>(`/agent/${v.agentId}/session/${v.sessionId}/instructions`);
}

async function waitForStatus(v: Visit, ids: string[], status: string): Promise<InstructionRecord[]> {
  return waitFor(`instructions ${status}`, async () => {
    const all = await instructions(v);
    const wanted = ids.map((id) => all.find((i) => i.instruction_id === id));
    return wanted.every((i) => i?.status === status) ? (wanted as InstructionRecord[]) : undefined;
  });
}

/** The decisions the stand-in holds for the visit's EPU session. */
async function decisionsAt(mock: AthenaMock, v: Visit): Promise<DecisionRecord[]> {
  const athena = new AthenaClient({ baseUrl: mock.url, retries: 0 });
  const session = await athena.findSession(v.gridName);
  return session ? athena.getDecisions(session.sessionId!) : [];
}

const holeArea = (v: Visit, i: number) => Number(v.holes[i]!.id);
const squareArea = (v: Visit, i: number) => Number(v.squares[i]!.id);

function assertHoleOrderDecisions(decisions: DecisionRecord[], v: Visit): void {
  assert.equal(decisions.length, 2, 'one foilHoleSelection and one acquisitionOrder, no duplicate');
  const byType = new Map(decisions.map((d) => [d.decisionType, d]));
  assert.equal(byType.get('foilHoleSelection')!.areaId, squareArea(v, 0));
  assert.deepEqual(decodeDecision(byType.get('foilHoleSelection')!), {
    decisionType: 'foilHoleSelection',
    verdicts: [
      { areaId: holeArea(v, 2), include: true },
      { areaId: holeArea(v, 1), include: true },
      { areaId: holeArea(v, 0), include: false },
    ],
  });
  assert.deepEqual(decodeDecision(byType.get('acquisitionOrder')!), {
    decisionType: 'acquisitionOrder',
    order: [holeArea(v, 2), holeArea(v, 1)],
  });
}

test('auto mode: instructions reach Athena as the right decisions and are acknowledged processed', async () => {
  const { mock, record } = await athenaMock('auto');
  const { visit: v } = await visitWithAgent('auto', 31, ['--mode', 'auto', '--athena', mock.url]);
  const issued = await backend.issue(v.sessionId, [squareOrder(v), skipLast(v), holeOrder(v)]);
  const done = await waitForStatus(
    v,
    issued.map((i) => i.instruction_id),
    'processed',
  );

  const decisions = await decisionsAt(mock, v);
  // The order: acquisitionOrder, gridSquareSelection and an include per square; the skip; the hole order's two.
  assert.equal(decisions.length, 2 + v.squares.length + 1 + 2);
  // Square-level decisions sit on the grid's atlas area (its Atlas.dm id once the agent has read the atlas).
  const atlasArea = decisions.find((d) => d.decisionType === 'gridSquareSelection')!.areaId;
  assert.ok(!v.squares.some((sq) => Number(sq.id) === atlasArea));
  const onAtlas = decisions.filter((d) => d.areaId === atlasArea);
  const order = onAtlas.find((d) => d.decisionType === 'acquisitionOrder')!;
  const reversed = [...v.squares].reverse().map((s) => Number(s.id));
  assert.deepEqual(decodeDecision(order), { decisionType: 'acquisitionOrder', order: reversed });
  assert.deepEqual(decodeDecision(onAtlas.find((d) => d.decisionType === 'gridSquareSelection')!), {
    decisionType: 'gridSquareSelection',
    verdicts: reversed.map((areaId) => ({ areaId, include: true })),
  });
  const lastSquare = squareArea(v, v.squares.length - 1);
  const includes = decisions.filter((d) => d.decisionType === 'include');
  assert.deepEqual(
    includes.map((d) => [d.areaId, decodeDecision(d)]),
    [
      ...reversed.map((areaId) => [areaId, { decisionType: 'include', include: true }]),
      [lastSquare, { decisionType: 'include', include: false }],
    ],
  );
  const athena = new AthenaClient({ baseUrl: mock.url, retries: 0 });
  const sessionId = (await athena.findSession(v.gridName))!.sessionId!;
  const latestInclude = async () =>
    decodeDecision((await athena.latestDecision(sessionId, { areaId: lastSquare, decisionType: 'include' }))!);
  assert.deepEqual(await latestInclude(), { decisionType: 'include', include: false }, 'the skip is the latest word');
  assertHoleOrderDecisions(
    decisions.filter((d) => d.areaId === squareArea(v, 0) && d.decisionType !== 'include'),
    v,
  );

  // The acknowledgement carries the ids of the decisions sent.
  const sentIds = done.flatMap((i) => (i.result as { decision_ids: string[] }).decision_ids).sort();
  assert.deepEqual(sentIds, decisions.map((d) => d.id!).sort());
  assert.ok(done.every((i) => typeof i.processing_time_ms === 'number'));
  // Areas were registered before the decisions about them.
  const requests = await recorded(record);
  const firstDecisions = requests.findIndex((r) => r.path.endsWith('/Decisions') && r.method === 'POST');
  const firstAreas = requests.findIndex((r) => r.path.endsWith('/Areas') && r.method === 'PUT');
  assert.ok(firstAreas >= 0 && firstAreas < firstDecisions, 'areas are registered before decisions');
  // The only error answer: the first look-up of the session, before the agent registered it.
  const errors = requests.filter((r) => r.status >= 300).map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.deepEqual(errors, ['GET /api/v1/Session 404']);

  // The skipped square back in a later order: its skip is withdrawn at Athena.
  const again = await backend.issue(v.sessionId, [squareOrder(v)]);
  await waitForStatus(
    v,
    again.map((i) => i.instruction_id),
    'processed',
  );
  assert.deepEqual(await latestInclude(), { decisionType: 'include', include: true }, 'a later order withdraws the skip');
});

/** Forwards to the stand-in, but never answers a `POST /Decisions` (after forwarding it): the agent cannot know it landed. */
async function swallowingProxy(target: string): Promise<{ url: string; decisionPosts: () => number; close(): Promise<void> }> {
  let decisionPosts = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json', accept: 'application/json' },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = await upstream.text();
    if (req.method === 'POST' && req.url?.endsWith('/Decisions')) {
      decisionPosts++;
      return; // held open until the agent dies
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    decisionPosts: () => decisionPosts,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

test('agent killed (SIGKILL) between receiving and acknowledging: redelivered after the restart, applied once', async () => {
  const { mock } = await athenaMock('kill');
  const proxy = await swallowingProxy(mock.url);
  try {
    const { visit: v, agent } = await visitWithAgent('kill', 32, ['--mode', 'auto', '--athena', proxy.url]);
    const [issued] = await backend.issue(v.sessionId, [holeOrder(v)]);
    // The decisions reached Athena; the agent never heard back, and the backend only knows it was received.
    await waitFor('the decisions at Athena', async () => proxy.decisionPosts() > 0 && (await decisionsAt(mock, v)).length === 2);
    await waitForStatus(v, [issued!.instruction_id], 'received');
    await agent.kill();

    const restarted = startAgent(v.dir, backend.url, v.stateDir, ['--agent-id', v.agentId, '--mode', 'auto', '--athena', mock.url]);
    agents.push(restarted);
    await waitForStatus(v, [issued!.instruction_id], 'processed');
    assert.match(restarted.output(), /instruction received/, 'the restarted agent got it again');
    assertHoleOrderDecisions(await decisionsAt(mock, v), v);
  } finally {
    await proxy.close();
  }
});

test('Athena away for a while: the instructions wait, then their decisions arrive once it returns, in order', async () => {
  const port = await freePort();
  const { visit: v, agent } = await visitWithAgent('outage', 33, ['--mode', 'auto', '--athena', `http://127.0.0.1:${port}`]);
  const issued = await backend.issue(v.sessionId, [squareOrder(v), skipLast(v)]);
  const ids = issued.map((i) => i.instruction_id);
  await waitForStatus(v, ids, 'received');
  await waitFor('a failed attempt', async () => /Athena unavailable/.test(agent.output()));

  const { mock, record } = await athenaMock('outage', port);
  await waitForStatus(v, ids, 'processed');
  const posts = (await recorded(record)).filter((r) => r.method === 'POST' && r.path.endsWith('/Decisions'));
  assert.equal(posts.length, 2, 'one batch per instruction');
  const types = posts.map((p) => (p.body as DecisionRecord[]).map((d) => d.decisionType));
  assert.deepEqual(
    types,
    [['acquisitionOrder', 'gridSquareSelection', ...v.squares.map(() => 'include')], ['include']],
    'in the order they were issued',
  );
  assert.equal((await decisionsAt(mock, v)).length, 3 + v.squares.length);
});

test('observe mode: nothing is sent to Athena; acknowledged processed with what would have been sent', async () => {
  const { mock, record } = await athenaMock('observe');
  const { visit: v, agent } = await visitWithAgent('observe', 34, ['--mode', 'observe', '--athena', mock.url]);
  const [issued] = await backend.issue(v.sessionId, [holeOrder(v)]);
  const [done] = await waitForStatus(v, [issued!.instruction_id], 'processed');
  const result = done!.result as { observed: boolean; decisions: DecisionRecord[] };
  assert.equal(result.observed, true);
  assert.deepEqual(
    result.decisions.map((d) => d.decisionType),
    ['foilHoleSelection', 'acquisitionOrder'],
  );
  assert.match(agent.output(), /would send these decisions/);
  assert.deepEqual(await recorded(record), [], 'no request reached Athena');
});

test('confirm mode: nothing reaches Athena until an operator approves; then the decisions are sent', async () => {
  const { mock } = await athenaMock('confirm');
  const { visit: v } = await visitWithAgent('confirm', 36, ['--mode', 'confirm', '--athena', mock.url]);
  const [issued] = await backend.issue(v.sessionId, [holeOrder(v)]);
  await waitForStatus(v, [issued!.instruction_id], 'awaiting_approval');
  assert.deepEqual(await decisionsAt(mock, v), []);
  await api(`/instructions/${issued!.instruction_id}/approve`, 'POST');
  await waitForStatus(v, [issued!.instruction_id], 'processed');
  assertHoleOrderDecisions(await decisionsAt(mock, v), v);
});

test('backend killed (SIGKILL) while an instruction is unacknowledged: after its restart the instruction is applied exactly once', async () => {
  const port = await freePort();
  const { visit: v, agent } = await visitWithAgent('backend-kill', 35, ['--mode', 'auto', '--athena', `http://127.0.0.1:${port}`]);
  const [issued] = await backend.issue(v.sessionId, [holeOrder(v)]);
  await waitForStatus(v, [issued!.instruction_id], 'received');
  const backendPort = backend.port;
  await backend.kill();

  // Athena returns while the backend is down: the agent applies the instruction and keeps its acknowledgement.
  const { mock } = await athenaMock('backend-kill', port);
  await waitFor('the decisions at Athena', async () => (await decisionsAt(mock, v)).length === 2);
  backend = await startInstructionBackend(dataDir(), backendPort);
  const [done] = await waitForStatus(v, [issued!.instruction_id], 'processed');
  assert.ok(done);
  assertHoleOrderDecisions(await decisionsAt(mock, v), v);
  assert.equal(agent.proc.exitCode, null, 'the agent rode out the outage');
});
