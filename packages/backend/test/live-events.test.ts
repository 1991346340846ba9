/**
 * The dashboard's live stream over real HTTP (`GET /events/stream`), on PGlite and PostgreSQL: a change written
 * through the API arrives as a `change` event naming its grid and grid square; a stream for one grid gets nothing of
 * another; a stream closed and reopened with its Last-Event-ID gets exactly what it missed — also while many writers
 * commit concurrently (ids only ever increase, nothing is lost or repeated); an id the log no longer keeps says
 * `reset`. Instruction changes (new, acknowledged, approved or declined) arrive on the stream of the grid they are for.
 * On PostgreSQL: an event is held back while an older transaction is still open (so it can never be
 * overtaken), and a change written through one replica reaches a stream on another.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../src/db/index.ts';
import { findSession } from '../src/repositories/instructions.ts';
import { parsePosition, pruneLiveEvents } from '../src/repositories/live-events.ts';
import { issueInstructions } from '../src/services/agents/instructions.ts';
import { collectSse, serveHttp, type ServedApi } from './support/sse.ts';
import { waitFor } from './support/bus/index.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';

async function send(method: string, url: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.text()}`);
}
const post = (url: string, path: string, body: unknown) => send('POST', url, path, body);
const put = (url: string, path: string, body: unknown) => send('PUT', url, path, body);

interface Change {
  id: string;
  event_type: string;
  grid_uuid: string | null;
  gridsquare_uuid: string | null;
  payload: Record<string, unknown>;
}

async function openStream(url: string, query = '', lastEventId?: string) {
  const stream = await collectSse(`${url}/events/stream${query}`, lastEventId);
  const { events } = stream;
  return {
    ...stream,
    connection: () => JSON.parse(events.find((e) => e.event === 'connection')?.data ?? 'null') as { from: string } | null,
    changes: () => events.filter((e) => e.event === 'change').map((e) => ({ id: e.id!, ...JSON.parse(e.data) }) as Change),
    /** The id EventSource would send on reconnecting: the last event's that carried one. */
    lastId: () => events.filter((e) => e.id !== undefined).at(-1)?.id,
  };
}

const micrograph = (n: number, hole = 'fh-a') => ({ uuid: `m-${n}`, micrograph_id: `m${n}`, foilhole_uuid: hole, foilhole_id: hole });
const uuidsOf = (changes: Change[], type: string) => changes.filter((c) => c.event_type === type).map((c) => String(c.payload.uuid));

/** `(tx, id)` order of two SSE ids. */
function compareIds(a: string, b: string): number {
  const [x, y] = [parsePosition(a)!, parsePosition(b)!];
  return BigInt(x.tx) === BigInt(y.tx) ? x.id - y.id : BigInt(x.tx) < BigInt(y.tx) ? -1 : 1;
}

function assertIncreasing(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++)
    assert.ok(compareIds(changes[i - 1]!.id, changes[i]!.id) < 0, `${changes[i - 1]!.id} then ${changes[i]!.id}`);
}

for (const kind of testDatabaseKinds()) {
  describe(`dashboard live stream on ${kind}`, () => {
    let db: TestDatabase;
    let server: ServedApi;
    before(async () => {
      db = await openTestDatabase(kind);
      server = await serveHttp(db.handle);
      const url = server.url;
      await post(url, '/batch/acquisitions', { items: [{ uuid: 'acq', name: 'S' }] });
      await post(url, '/batch/grids', {
        items: [
          { uuid: 'grid-a', name: 'A', acquisition_uuid: 'acq' },
          { uuid: 'grid-b', name: 'B', acquisition_uuid: 'acq' },
        ],
      });
      await post(url, '/batch/gridsquares', {
        items: [
          { uuid: 'sq-a', gridsquare_id: '1', grid_uuid: 'grid-a' },
          { uuid: 'sq-b', gridsquare_id: '1', grid_uuid: 'grid-b' },
        ],
      });
      await post(url, '/batch/foilholes', {
        items: [
          { uuid: 'fh-a', foilhole_id: '1', gridsquare_uuid: 'sq-a', gridsquare_id: '1' },
          { uuid: 'fh-b', foilhole_id: '1', gridsquare_uuid: 'sq-b', gridsquare_id: '1' },
        ],
      });
    });
    after(async () => {
      await server?.app.close();
      await db?.drop();
    });

    test('a new micrograph and its result arrive with their grid and square; a stream of another grid gets neither', async () => {
      const a = await openStream(server.url, '?grid_uuid=grid-a');
      const b = await openStream(server.url, '?grid_uuid=grid-b');
      try {
        await waitFor('both connected', () => a.connection() !== null && b.connection() !== null);
        assert.equal(a.connection()!.from, 'new');
        await post(server.url, '/batch/micrographs', { items: [micrograph(1)] });
        await post(server.url, '/micrographs/m-1/ctf', { ctf_max_resolution_estimate: 4 });
        await waitFor('the result', () => a.changes().some((c) => c.event_type === 'decision.updated'));
        // Found by type: on a shared PostgreSQL server, another database's open transaction can hold the setup's events
        // back until after the stream started (snapshots span the server), and then they come first.
        const created = a.changes().find((c) => c.event_type === 'micrograph.created');
        const result = a.changes().find((c) => c.event_type === 'decision.updated');
        assert.deepEqual([created!.payload.uuid, created!.grid_uuid, created!.gridsquare_uuid], ['m-1', 'grid-a', 'sq-a']);
        assert.deepEqual([result!.payload.micrograph_uuid, result!.grid_uuid, result!.gridsquare_uuid], ['m-1', 'grid-a', 'sq-a']);
        // grid-b's stream saw the same notifications and read the same events; it sends none of them
        await post(server.url, '/batch/micrographs', { items: [micrograph(2, 'fh-b')] });
        // waited for by type: held-back setup events of grid-b (see above) may come first
        await waitFor("grid-b's micrograph", () => uuidsOf(b.changes(), 'micrograph.created').length > 0);
        assert.deepEqual(uuidsOf(b.changes(), 'micrograph.created'), ['m-2']);
        assert.ok(!b.changes().some((c) => c.grid_uuid === 'grid-a'), "grid-b's stream carries nothing of grid-a");
        // heartbeats every 0.2 s here; waited for, since a fast run can get this far before the first
        await waitFor('a heartbeat', () => b.events.some((e) => e.event === 'heartbeat'));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('concurrent writers, a stream closed and resumed from its Last-Event-ID: every change once, in increasing id order', async () => {
      const first = await openStream(server.url, '?grid_uuid=grid-a');
      await waitFor('connected', () => first.connection() !== null);
      const writes = Array.from({ length: 40 }, (_, i) => post(server.url, '/batch/micrographs', { items: [micrograph(100 + i)] }));
      await waitFor('some changes', () => first.changes().length >= 5);
      await first.close();
      await Promise.all(writes);
      // written while no stream was open
      await Promise.all(Array.from({ length: 20 }, (_, i) => post(server.url, '/batch/micrographs', { items: [micrograph(200 + i)] })));
      const second = await openStream(server.url, '?grid_uuid=grid-a', first.lastId());
      try {
        const want = [...Array.from({ length: 40 }, (_, i) => `m-${100 + i}`), ...Array.from({ length: 20 }, (_, i) => `m-${200 + i}`)];
        const seen = () => [...uuidsOf(first.changes(), 'micrograph.created'), ...uuidsOf(second.changes(), 'micrograph.created')];
        await waitFor('every micrograph', () => seen().length >= want.length);
        assert.equal(second.connection()!.from, 'resumed');
        assert.deepEqual(seen().sort(), want.sort(), 'each micrograph exactly once');
        assertIncreasing([...first.changes(), ...second.changes()]);
      } finally {
        await second.close();
      }
    });

    test('an id the log no longer keeps, or not one of ours, says reset and goes on from the newest', async () => {
      const s = await openStream(server.url, '?grid_uuid=grid-a');
      await waitFor('connected', () => s.connection() !== null);
      await post(server.url, '/batch/micrographs', { items: [micrograph(300)] });
      await waitFor('the micrograph', () => s.changes().length > 0);
      await s.close();
      await pruneLiveEvents(db.handle.db, 0);
      for (const id of [s.lastId(), 'garbage']) {
        const again = await openStream(server.url, '?grid_uuid=grid-a', id);
        try {
          await waitFor('connected', () => again.connection() !== null);
          assert.equal(again.connection()!.from, 'reset');
          await post(server.url, '/batch/micrographs', { items: [micrograph(id === 'garbage' ? 302 : 301)] });
          await waitFor('the next micrograph', () => again.changes().length > 0);
          assert.deepEqual(uuidsOf(again.changes(), 'micrograph.created'), [id === 'garbage' ? 'm-302' : 'm-301']);
        } finally {
          await again.close();
        }
      }
    });

    test("instructions for the grid's agents arrive on its stream: new ones, acknowledgements, an operator's decision", async () => {
      await put(server.url, '/agent/live-agent/session/live-session', { acquisition_uuid: 'acq', mode: 'confirm' });
      const a = await openStream(server.url, '?grid_uuid=grid-a');
      const b = await openStream(server.url, '?grid_uuid=grid-b');
      try {
        await waitFor('both connected', () => a.connection() !== null && b.connection() !== null);
        const session = (await findSession(db.handle.db, 'live-session'))!;
        const [held] = await issueInstructions(
          db.handle.db,
          [session],
          [{ type: 'athena.control.skip_gridsquares', topic: 'skip:grid-a', payload: { grid_uuid: 'grid-a', gridsquares_to_skip: [] } }],
        );
        await post(server.url, `/instructions/${held!.instruction_id}/decline`, {});
        // An operator's skip of a hole is delivered at once (pending), then acknowledged by the agent.
        await post(server.url, '/instructions', { action: 'skip', foilhole_uuid: 'fh-a' });
        await waitFor('the skip', () =>
          a.changes().some((c) => c.event_type === 'instruction.created' && c.payload.foilhole_uuid === 'fh-a'),
        );
        const skip = a.changes().find((c) => c.event_type === 'instruction.created' && c.payload.foilhole_uuid === 'fh-a')!;
        const skipId = String(skip.payload.instruction_id);
        await post(server.url, `/agent/live-agent/session/live-session/instructions/${skipId}/ack`, { status: 'received' });
        await waitFor('the acknowledgement', () =>
          a.changes().some((c) => c.event_type === 'instruction.updated' && c.payload.instruction_id === skipId),
        );
        // (Only instructions: older events held back by another open transaction may come first, see above.)
        const ofInstructions = (changes: Change[]) => changes.filter((c) => c.event_type.startsWith('instruction.'));
        const seen = ofInstructions(a.changes()).map((c) => [c.event_type, c.payload.instruction_id, c.payload.status, c.grid_uuid]);
        assert.deepEqual(seen, [
          ['instruction.created', held!.instruction_id, 'awaiting_approval', 'grid-a'],
          ['instruction.updated', held!.instruction_id, 'declined', 'grid-a'],
          ['instruction.created', skipId, 'pending', 'grid-a'],
          ['instruction.updated', skipId, 'received', 'grid-a'],
        ]);
        assert.equal(skip.gridsquare_uuid, 'sq-a', "the hole's square");
        assert.deepEqual(
          [skip.payload.agent_id, skip.payload.session_id, skip.payload.instruction_type],
          ['live-agent', 'live-session', 'athena.control.select_area'],
        );
        assertIncreasing(a.changes());
        // A change of grid-b after them reaches b's stream, and nothing of grid-a's instructions did.
        await post(server.url, '/batch/micrographs', { items: [micrograph(600, 'fh-b')] });
        await waitFor("grid-b's micrograph", () => uuidsOf(b.changes(), 'micrograph.created').includes('m-600'));
        assert.deepEqual(ofInstructions(b.changes()), []);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('bad query parameters are a 400 naming the field', async () => {
      const res = await fetch(`${server.url}/events/stream?grid_uuid=`);
      assert.equal(res.status, 400);
      assert.match(await res.text(), /grid_uuid/);
    });

    if (kind === 'postgres') {
      test('an event waits for an older transaction still open, and is then sent after its events', async () => {
        const s = await openStream(server.url, '?grid_uuid=grid-a');
        const { default: pg } = await import('pg');
        const other = new pg.Client({ connectionString: db.url });
        await other.connect();
        try {
          await waitFor('connected', () => s.connection() !== null);
          await other.query('BEGIN');
          await other.query(
            `INSERT INTO outbox (event_type, payload) VALUES ('micrograph.created', '{"event_type":"micrograph.created","uuid":"m-slow","foilhole_uuid":"fh-a"}')`,
          );
          await post(server.url, '/batch/micrographs', { items: [micrograph(400)] });
          await new Promise((r) => setTimeout(r, 1500));
          assert.deepEqual(s.changes(), [], 'held back behind the open transaction');
          await other.query('COMMIT');
          await waitFor('both', () => s.changes().length >= 2);
          assert.deepEqual(uuidsOf(s.changes(), 'micrograph.created'), ['m-slow', 'm-400']);
        } finally {
          await other.end();
          await s.close();
        }
      });

      test('a change written through one replica reaches a stream on another', async () => {
        const handle = await openDatabase({ url: db.url, poolSize: 2 });
        const replica = await serveHttp(handle);
        const s = await openStream(replica.url, '?grid_uuid=grid-a');
        try {
          await waitFor('connected', () => s.connection() !== null);
          await post(server.url, '/batch/micrographs', { items: [micrograph(500)] });
          await waitFor('the micrograph', () => s.changes().length > 0);
          assert.deepEqual(uuidsOf(s.changes(), 'micrograph.created'), ['m-500']);
        } finally {
          await s.close();
          await replica.app.close();
          await handle.close();
        }
      });
    }
  });
}
