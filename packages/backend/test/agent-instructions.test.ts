/**
 * The instruction channel over real HTTP: sessions, the SSE stream (connection, instructions in priority order,
 * heartbeats), acknowledgements and their rules, redelivery of what was not finished, confirm-mode approval, retry
 * and expiry — on PGlite and PostgreSQL; and, on PostgreSQL, an instruction written through one API replica reaching
 * an agent connected to another.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InstructionMessage } from '@smartem/common';
import { issueInstructions, sweep } from '../src/services/agents/instructions.ts';
import { findSession } from '../src/repositories/instructions.ts';
import { openDatabase, migrateDatabase, type DatabaseHandle } from '../src/db/index.ts';
import { collectSse, serveHttp, type ServedApi } from './support/sse.ts';
import { waitFor } from './support/bus/index.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** An open stream and the events read from it so far. */
async function openStream(url: string, agent: string, session: string, lastEventId?: string) {
  const stream = await collectSse(`${url}/agent/${agent}/session/${session}/instructions/stream`, lastEventId);
  return {
    ...stream,
    instructions: () => stream.events.filter((e) => e.event === 'instruction').map((e) => JSON.parse(e.data) as InstructionMessage),
  };
}

const squares = (n: number) => ({
  grid_uuid: 'grid',
  gridsquare_order: [{ gridsquare_uuid: `gs-${n}`, gridsquare_id: String(n), quality_score: n }],
});

for (const kind of testDatabaseKinds()) {
  describe(`agent instruction channel on ${kind}`, () => {
    let db: TestDatabase;
    let server: ServedApi;
    before(async () => {
      db = await openTestDatabase(kind);
      server = await serveHttp(db.handle);
      await call(server.url, 'POST', '/acquisitions', { uuid: 'acq', name: 'visit' });
    });
    after(async () => {
      await server?.app.close();
      await db?.drop();
    });

    test('registration: 201 then 200, the acquisition must exist, a session belongs to one agent', async () => {
      assert.equal((await call(server.url, 'PUT', '/agent/a1/session/s1', { acquisition_uuid: 'nope', mode: 'auto' })).status, 404);
      const first = await call(server.url, 'PUT', '/agent/a1/session/s1', { acquisition_uuid: 'acq', mode: 'auto' });
      assert.equal(first.status, 201);
      assert.equal(first.json.connected, false);
      assert.equal(
        (await call(server.url, 'PUT', '/agent/a1/session/s1', { acquisition_uuid: 'acq', mode: 'auto', description: 'Krios 1' })).status,
        200,
      );
      assert.equal((await call(server.url, 'PUT', '/agent/a2/session/s1', { acquisition_uuid: 'acq', mode: 'auto' })).status, 409);
      assert.equal((await call(server.url, 'PUT', '/agent/a1/session/s1', { acquisition_uuid: 'acq', mode: 'sometimes' })).status, 422);
      assert.equal((await call(server.url, 'GET', '/agent/a2/session/s1')).status, 404);

      // Heartbeats: without a body (older agents) and with the agent's intake backlog, shown by GET /agents.
      const s1 = async () => ((await call(server.url, 'GET', '/agents')).json as any[]).find((s) => s.session_id === 's1');
      assert.equal((await call(server.url, 'POST', '/agent/a1/session/s1/heartbeat')).status, 200);
      assert.deepEqual([(await s1()).intake_pending, (await s1()).intake_orphans, (await s1()).intake_failed], [null, null, null]);
      const beat = (body: unknown) => call(server.url, 'POST', '/agent/a1/session/s1/heartbeat', body);
      assert.equal((await beat({ pending: 12, orphans: 3, failed: 1 })).status, 200);
      const reported = await s1();
      assert.deepEqual([reported.intake_pending, reported.intake_orphans, reported.intake_failed], [12, 3, 1]);
      for (const [bad, field] of [
        [{ pending: -1, orphans: 0, failed: 0 }, 'pending'],
        [{ pending: 0, orphans: 'many', failed: 0 }, 'orphans'],
      ] as const) {
        const res = await beat(bad);
        assert.ok([400, 422].includes(res.status), `status ${res.status}`);
        assert.match(JSON.stringify(res.json), new RegExp(field));
      }
      assert.equal((await s1()).intake_pending, 12);
    });

    test('stream: connection, unfinished instructions by priority then order, new ones pushed, heartbeats; acks finish them', async () => {
      await call(server.url, 'PUT', '/agent/a1/session/s2', { acquisition_uuid: 'acq', mode: 'auto' });
      const session = (await findSession(db.handle.db, 's2'))!;
      const [low, high] = await issueInstructions(
        db.handle.db,
        [session],
        [
          { type: 'athena.control.reorder_gridsquares', topic: 'order:a', payload: squares(1) },
          { type: 'athena.control.reorder_gridsquares', topic: 'order:b', payload: squares(2), priority: 5 },
        ],
      );
      const stream = await openStream(server.url, 'a1', 's2');
      await waitFor('two instructions', () => stream.instructions().length === 2);
      assert.equal(stream.events[0]!.event, 'connection');
      assert.deepEqual(
        stream.instructions().map((i) => i.instruction_id),
        [high!.instruction_id, low!.instruction_id],
      );
      assert.equal(stream.events.find((e) => e.event === 'instruction')!.id, String(high!.sequence_number));

      const [pushed] = await issueInstructions(
        db.handle.db,
        [session],
        [{ type: 'athena.control.reorder_gridsquares', topic: 'order:c', payload: squares(3) }],
      );
      await waitFor('the pushed instruction', () => stream.instructions().some((i) => i.instruction_id === pushed!.instruction_id));
      await waitFor('a heartbeat', () => stream.events.some((e) => e.event === 'heartbeat'));
      assert.equal((await call(server.url, 'GET', '/agent/a1/session/s2')).json.connected, true);

      const ack = (id: string, status: string) =>
        call(server.url, 'POST', `/agent/a1/session/s2/instructions/${id}/ack`, { status, processing_time_ms: 12 });
      assert.equal((await ack(high!.instruction_id, 'received')).json.status, 'received');
      assert.equal((await ack(high!.instruction_id, 'processed')).json.status, 'processed');
      assert.equal((await ack(high!.instruction_id, 'processed')).status, 200, 'the same final ack again is harmless');
      assert.equal((await ack(high!.instruction_id, 'failed')).status, 409);
      assert.equal((await ack('no-such-instruction', 'processed')).status, 404);
      assert.equal(
        (await call(server.url, 'POST', `/agent/a1/session/s2/instructions/${low!.instruction_id}/ack`, { status: 'done' })).status,
        422,
      );
      assert.equal((await ack(low!.instruction_id, 'processed')).status, 200);
      await stream.close();

      // A new connection gets what was not finished, and only that.
      const again = await openStream(server.url, 'a1', 's2', String(pushed!.sequence_number));
      await waitFor('redelivery', () => again.instructions().length === 1);
      assert.equal(again.instructions()[0]!.instruction_id, pushed!.instruction_id);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(again.instructions().length, 1, 'nothing is sent twice on one connection');
      await again.close();
      await waitFor('the connection closed', async () => (await call(server.url, 'GET', '/agent/a1/session/s2')).json.connected === false);
    });

    test('a newer instruction on the same topic supersedes an unfinished one', async () => {
      await call(server.url, 'PUT', '/agent/a1/session/s3', { acquisition_uuid: 'acq', mode: 'auto' });
      const session = (await findSession(db.handle.db, 's3'))!;
      const [old] = await issueInstructions(
        db.handle.db,
        [session],
        [{ type: 'athena.control.reorder_gridsquares', topic: 'order:grid', payload: squares(1) }],
      );
      const [fresh] = await issueInstructions(
        db.handle.db,
        [session],
        [{ type: 'athena.control.reorder_gridsquares', topic: 'order:grid', payload: squares(2) }],
      );
      const list = (await call(server.url, 'GET', '/agent/a1/session/s3/instructions')).json as Array<{
        instruction_id: string;
        status: string;
      }>;
      assert.equal(list.find((i) => i.instruction_id === old!.instruction_id)!.status, 'superseded');
      assert.equal(list.find((i) => i.instruction_id === fresh!.instruction_id)!.status, 'pending');
    });

    test('confirm mode: held until an operator approves; declined ones never reach the agent', async () => {
      await call(server.url, 'PUT', '/agent/a1/session/s4', { acquisition_uuid: 'acq', mode: 'confirm' });
      const session = (await findSession(db.handle.db, 's4'))!;
      const [one, two] = await issueInstructions(
        db.handle.db,
        [session],
        [
          { type: 'athena.control.reorder_gridsquares', topic: 'order:x', payload: squares(1) },
          { type: 'athena.control.reorder_gridsquares', topic: 'order:y', payload: squares(2) },
        ],
      );
      assert.equal((await call(server.url, 'GET', '/agent/a1/session/s4')).json.awaiting_approval, 2);
      const stream = await openStream(server.url, 'a1', 's4');
      await waitFor('the connection event', () => stream.events.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(stream.instructions().length, 0);
      assert.equal((await call(server.url, 'POST', `/instructions/${one!.instruction_id}/approve`)).json.status, 'pending');
      assert.equal((await call(server.url, 'POST', `/instructions/${two!.instruction_id}/decline`)).json.status, 'declined');
      assert.equal((await call(server.url, 'POST', `/instructions/${two!.instruction_id}/approve`)).status, 409);
      assert.equal((await call(server.url, 'POST', '/instructions/nope/approve')).status, 404);
      await waitFor('the approved instruction', () => stream.instructions().length === 1);
      assert.equal(stream.instructions()[0]!.instruction_id, one!.instruction_id);
      await stream.close();
    });

    test("an operator's skip or include: bad input named, 409 without an agent, delivered at once in confirm mode", async () => {
      const post = (body: unknown) => call(server.url, 'POST', '/instructions', body);
      const created = async (path: string, body: unknown) => {
        const res = await call(server.url, 'POST', path, body);
        assert.equal(res.status, 201, JSON.stringify(res.json));
      };
      await created('/acquisitions', { uuid: 'acq-op', name: 'visit 2' });
      await created('/acquisitions/acq-op/grids', { uuid: 'g-op', name: 'Grid_op', acquisition_uuid: 'acq-op' });
      await created('/grids/g-op/gridsquares', { uuid: 'gs-op', gridsquare_id: '1001', grid_uuid: 'g-op' });
      await created('/gridsquares/gs-op/foilholes', {
        uuid: 'fh-op',
        foilhole_id: '2002',
        gridsquare_uuid: 'gs-op',
        gridsquare_id: '1001',
        is_near_grid_bar: false,
      });

      const neither = await post({ action: 'skip' });
      assert.equal(neither.status, 422);
      assert.equal(neither.json.errors[0].field, 'gridsquare_uuid');
      const both = await post({ action: 'skip', gridsquare_uuid: 'gs-op', foilhole_uuid: 'fh-op' });
      assert.equal(both.status, 422);
      assert.equal(both.json.errors[0].field, 'foilhole_uuid');
      const action = await post({ action: 'maybe', gridsquare_uuid: 'gs-op' });
      assert.equal(action.status, 422);
      assert.match(action.json.detail, /action/);
      const unknown = await post({ action: 'skip', foilhole_uuid: 'nope' });
      assert.equal(unknown.status, 404);
      assert.match(unknown.json.detail, /foilhole_uuid/);
      assert.equal((await post({ action: 'skip', gridsquare_uuid: 'gs-op' })).status, 409, 'no agent serves the acquisition');

      await call(server.url, 'PUT', '/agent/a9/session/s-op', { acquisition_uuid: 'acq-op', mode: 'confirm' });
      const stream = await openStream(server.url, 'a9', 's-op');
      const skip = await post({ action: 'skip', gridsquare_uuid: 'gs-op' });
      assert.equal(skip.status, 201);
      assert.equal(skip.json.length, 1);
      assert.equal(skip.json[0].status, 'pending', 'not held for approval: the operator decided');
      assert.deepEqual(skip.json[0].payload, {
        grid_uuid: 'g-op',
        gridsquare_uuid: 'gs-op',
        gridsquare_id: '1001',
        include: false,
        reason: 'operator: skip',
      });
      const include = await post({ action: 'include', foilhole_uuid: 'fh-op', reason: 'looks fine' });
      assert.equal(include.status, 201);
      assert.deepEqual(include.json[0].payload, {
        grid_uuid: 'g-op',
        gridsquare_uuid: 'gs-op',
        gridsquare_id: '1001',
        foilhole_uuid: 'fh-op',
        foilhole_id: '2002',
        include: true,
        reason: 'looks fine',
      });
      await waitFor('both on the stream', () => stream.instructions().length === 2);
      assert.deepEqual(
        stream.instructions().map((i) => i.instruction_type),
        ['athena.control.select_area', 'athena.control.select_area'],
      );
      await stream.close();
    });

    test('unfinished past its window: delivered again with a retry count, then expired', async () => {
      await call(server.url, 'PUT', '/agent/a1/session/s5', { acquisition_uuid: 'acq', mode: 'auto' });
      const session = (await findSession(db.handle.db, 's5'))!;
      const [row] = await issueInstructions(
        db.handle.db,
        [session],
        [{ type: 'athena.control.reorder_gridsquares', topic: 'order:z', payload: squares(1) }],
      );
      const stream = await openStream(server.url, 'a1', 's5');
      await waitFor('first delivery', () => stream.instructions().length === 1);
      const later = new Date(Date.now() + 10 * 60_000);
      assert.equal((await sweep(db.handle.db, later)).retried >= 1, true);
      await waitFor('redelivery after the retry', () => stream.instructions().length === 2);
      assert.equal(stream.instructions()[1]!.metadata.retries, 1);
      for (let i = 0; i < 3; i++) await sweep(db.handle.db, new Date(later.getTime() + (i + 1) * 10 * 60_000));
      const list = (await call(server.url, 'GET', '/agent/a1/session/s5/instructions')).json as Array<{
        instruction_id: string;
        status: string;
      }>;
      assert.equal(list.find((i) => i.instruction_id === row!.instruction_id)!.status, 'expired');
      await stream.close();
    });
  });
}

describe('two API replicas on one PostgreSQL database', { skip: process.env.DATABASE_URL ? false : 'needs DATABASE_URL' }, () => {
  let db: TestDatabase;
  let second: DatabaseHandle;
  let a: ServedApi;
  let b: ServedApi;
  before(async () => {
    db = await openTestDatabase('postgres');
    second = await openDatabase({ url: db.url, poolSize: 2 });
    await migrateDatabase(second);
    a = await serveHttp(db.handle);
    b = await serveHttp(second);
    await call(a.url, 'POST', '/acquisitions', { uuid: 'acq', name: 'visit' });
  });
  after(async () => {
    await a?.app.close();
    await b?.app.close();
    await second?.close();
    await db?.drop();
  });

  test('an instruction approved through one replica reaches the agent streaming from the other', async () => {
    await call(a.url, 'PUT', '/agent/a1/session/r1', { acquisition_uuid: 'acq', mode: 'confirm' });
    const session = (await findSession(second.db, 'r1'))!;
    const [row] = await issueInstructions(
      second.db,
      [session],
      [{ type: 'athena.control.reorder_gridsquares', topic: 'order:r', payload: squares(1) }],
    );
    const stream = await openStream(a.url, 'a1', 'r1');
    await waitFor('the connection event', () => stream.events.length > 0);
    assert.equal((await call(b.url, 'POST', `/instructions/${row!.instruction_id}/approve`)).status, 200);
    await waitFor('the instruction on replica A', () => stream.instructions().length === 1);
    await stream.close();
  });
});
