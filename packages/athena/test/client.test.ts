/** AthenaClient against the stand-in over real HTTP, and its behaviour when the service is away, slow or failing. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AthenaClient,
  AthenaRequestError,
  AthenaUnavailableError,
  acquisitionOrderDecision,
  areaIdFromEpu,
  decodeDecision,
  foilHoleSelectionDecision,
  includeDecision,
} from '../src/index.ts';
import { startAthenaMock, type AthenaMock } from '../src/mock/index.ts';

const fastBackoff = { baseMs: 10, maxMs: 50 };

describe('AthenaClient against the mock', () => {
  let mock: AthenaMock;
  let athena: AthenaClient;
  let sessionId: string;
  const square = areaIdFromEpu('19493759');
  const holes = [areaIdFromEpu('19513700'), areaIdFromEpu('19513701'), areaIdFromEpu('19513702')];

  before(async () => {
    mock = await startAthenaMock();
    athena = new AthenaClient({ baseUrl: `${mock.url}/`, backoff: fastBackoff });
  });
  after(() => mock.close());

  test('finds the EPU session or registers it, also when two agents race', async () => {
    const [a, b] = await Promise.all([
      athena.findOrRegisterSession({ sessionName: 'EPU visit 1', gridType: 'HoleyGold' }),
      athena.findOrRegisterSession({ sessionName: 'EPU visit 1', gridType: 'HoleyGold' }),
    ]);
    assert.equal(a.sessionId, b.sessionId);
    sessionId = a.sessionId!;
    assert.equal((await athena.findOrRegisterSession({ sessionName: 'EPU visit 1' })).sessionId, sessionId);
    assert.equal((await athena.getSession(sessionId))?.gridType, 'HoleyGold');
    assert.equal(await athena.findSession('no such visit'), undefined);
  });

  test('registers squares and holes; a second registration is a typed 409, an upsert is not', async () => {
    const areas = [
      { id: square, sessionId, areaType: 'gridsquare' as const },
      ...holes.map((id) => ({ id, sessionId, areaType: 'foilhole' as const, parentId: square })),
    ];
    assert.equal((await athena.registerAreas(areas, { batchSize: 2 })).length, 4);
    await assert.rejects(athena.registerAreas(areas.slice(0, 1)), (err: unknown) => {
      assert.ok(err instanceof AthenaRequestError);
      assert.equal(err.status, 409);
      assert.equal(err.problem?.status, 409);
      assert.match(err.message, /already registered/);
      return true;
    });
    await athena.upsertAreas(areas);
    assert.deepEqual(
      (await athena.listAreas(sessionId, { parentAreaId: square })).map((a) => a.id),
      holes,
    );
    assert.equal((await athena.getArea(sessionId, square))?.areaType, 'gridsquare');
    assert.equal(await athena.getArea(sessionId, 1), undefined);
  });

  test('posts area states and reads the latest', async () => {
    await athena.postAreaState({ sessionId, areaId: holes[0]!, state: 'queued' });
    const states = await athena.postAreaStates([
      { sessionId, areaId: holes[0]!, state: 'started' },
      { sessionId, areaId: holes[1]!, state: 'skipped' },
    ]);
    assert.equal(states.length, 2);
    assert.equal((await athena.latestAreaState(sessionId, holes[0]!))?.state, 'started');
    assert.equal(await athena.latestAreaState(sessionId, holes[2]!), undefined);
  });

  test('posts decisions in batches and reads them back as LatestDecision', async () => {
    const ctx = { sessionId, decidedBy: 'smartem' };
    assert.equal(await athena.latestDecision(sessionId, { areaId: square, decisionType: 'foilHoleSelection' }), undefined);
    const decisions = [
      includeDecision(ctx, square, true),
      ...holes.map((h, i) => includeDecision(ctx, h, i !== 1)),
      foilHoleSelectionDecision(
        ctx,
        square,
        holes.map((areaId, i) => ({ areaId, include: i !== 1 })),
      ),
    ];
    const stored = await athena.postDecisions(decisions, { batchSize: 2 });
    assert.deepEqual(
      stored.map((d) => d.id),
      decisions.map((d) => d.id),
    );
    // Re-sending a batch (as after a lost reply) repeats the same records rather than adding new ones.
    await athena.postDecisions(decisions.slice(0, 2));
    assert.equal((await athena.getDecisions(sessionId, { areaIds: [square, ...holes] })).length, decisions.length);
    const latest = await athena.latestDecision(sessionId, { areaId: square, decisionType: 'foilHoleSelection', pluginType: 'custom' });
    assert.deepEqual(decodeDecision(latest!), {
      decisionType: 'foilHoleSelection',
      verdicts: holes.map((areaId, i) => ({ areaId, include: i !== 1 })),
    });
    await athena.deleteDecisions(sessionId, { areaId: holes[1]!, decisionType: 'include' });
    assert.equal(await athena.latestDecision(sessionId, { areaId: holes[1]!, decisionType: 'include' }), undefined);
    await assert.rejects(
      athena.postDecisions([includeDecision(ctx, 99, true)]),
      (err: unknown) => err instanceof AthenaRequestError && err.status === 409,
    );
  });

  test('TimedDecision: undefined on timeout, and answered when a decision is posted while it waits', async () => {
    assert.equal(
      await athena.timedDecision(sessionId, { areaId: holes[2]!, decisionType: 'acquisitionOrder', timeoutSeconds: 1 }),
      undefined,
    );
    let settled = false;
    const waiting = athena.timedDecision(sessionId, { areaId: square, decisionType: 'acquisitionOrder', timeoutSeconds: 60 });
    void waiting.finally(() => (settled = true));
    while (mock.service.waitingTimedDecisions === 0 && !settled) await new Promise((r) => setImmediate(r));
    const [posted] = await athena.postDecisions([acquisitionOrderDecision({ sessionId }, square, [holes[2]!, holes[0]!])]);
    assert.equal((await waiting)?.id, posted!.id);
  });
});

/** A port nothing listens on (taken from a server that was closed). */
async function freePort(): Promise<number> {
  const probe = await startAthenaMock();
  await probe.close();
  return probe.port;
}

describe('AthenaClient when the service is away, slow or failing', () => {
  test('retries until a mock started late answers', async () => {
    const port = await freePort();
    let late: Promise<AthenaMock> | undefined;
    const retries: number[] = [];
    const athena = new AthenaClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retries: 50,
      backoff: fastBackoff,
      onRetry: ({ attempt }) => {
        retries.push(attempt);
        // The service comes up only after the client has failed three times.
        if (attempt === 3) late = startAthenaMock({ port });
      },
    });
    try {
      const session = await athena.findOrRegisterSession({ sessionName: 'late' });
      assert.match(session.sessionId!, /^[0-9a-f-]{36}$/);
      assert.ok(retries.length >= 3);
    } finally {
      await (await late)?.close();
    }
  });

  test('survives the service being stopped and restarted', async () => {
    let mock = await startAthenaMock();
    const port = mock.port;
    let restarted: Promise<AthenaMock> | undefined;
    const athena = new AthenaClient({
      baseUrl: mock.url,
      retries: 50,
      backoff: fastBackoff,
      onRetry: ({ attempt }) => {
        if (attempt === 2) restarted = startAthenaMock({ port });
      },
    });
    await athena.registerSession({ sessionName: 'before' });
    await mock.close();
    try {
      // The restarted stand-in has forgotten everything (it is in memory), so the session is registered anew.
      const again = await athena.findOrRegisterSession({ sessionName: 'before' });
      assert.ok(again.sessionId);
      mock = (await restarted)!;
      assert.equal((await athena.findSession('before'))?.sessionId, again.sessionId);
    } finally {
      await (await restarted)?.close();
    }
  });

  test('gives up with AthenaUnavailableError after the configured retries', async () => {
    const port = await freePort();
    const athena = new AthenaClient({ baseUrl: `http://127.0.0.1:${port}`, retries: 2, backoff: fastBackoff });
    await assert.rejects(athena.findSession('x'), (err: unknown) => {
      assert.ok(err instanceof AthenaUnavailableError);
      assert.equal(err.attempts, 3);
      assert.match(err.message, /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/Session\?sessionName=x/);
      return true;
    });
  });

  /** A plain server answering each request with the next scripted status (then 200 `[]`), counting requests. */
  async function scripted(statuses: number[], hang = false): Promise<{ server: Server; url: string; count: () => number }> {
    let n = 0;
    const server = createServer((req, res) => {
      req.resume();
      const status = statuses[n++];
      if (hang) return; // never answers
      if (status === undefined) res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status, detail: `scripted ${status}` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: () => n };
  }

  test('retries 503 and 429, but not 400', async () => {
    const flaky = await scripted([503, 429]);
    const retryable = new AthenaClient({ baseUrl: flaky.url, backoff: fastBackoff });
    try {
      assert.deepEqual(await retryable.listAreas('3fa85f64-5717-4562-b3fc-2c963f66afa6'), []);
      assert.equal(flaky.count(), 3);
    } finally {
      flaky.server.close();
    }
    const refusing = await scripted([400]);
    try {
      await assert.rejects(new AthenaClient({ baseUrl: refusing.url, backoff: fastBackoff }).listAreas('x'), (err: unknown) => {
        assert.ok(err instanceof AthenaRequestError);
        assert.equal(err.problem?.detail, 'scripted 400');
        return true;
      });
      assert.equal(refusing.count(), 1);
    } finally {
      refusing.server.close();
    }
  });

  test('a request that gets no answer times out and is retried', async () => {
    const silent = await scripted([], true);
    try {
      const athena = new AthenaClient({ baseUrl: silent.url, timeoutMs: 100, retries: 1, backoff: fastBackoff });
      await assert.rejects(athena.findSession('x'), (err: unknown) => {
        assert.ok(err instanceof AthenaUnavailableError);
        assert.equal(err.attempts, 2);
        return true;
      });
      assert.equal(silent.count(), 2);
    } finally {
      silent.server.closeAllConnections();
      silent.server.close();
    }
  });
});
