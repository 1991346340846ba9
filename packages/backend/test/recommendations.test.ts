/**
 * From processing results to instructions: an embedded backend (PGlite, in-process bus and worker) with an agent
 * session for the acquisition; results posted through the API make the worker recompute the grid's recommendations
 * and write the changed ones as instructions — the square order, the hole plans, and a skip for a square whose holes
 * come back bad; a square whose holes are not found yet is in the order too. Recomputing with nothing new writes nothing.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, type InstructionRecord } from '@smartem/common';
import { DEFAULT_QUALITY } from '@smartem/decisions';
import { startBackend, type RunningBackend } from '../src/runtime/backend.ts';
import { recommendForGrid } from '../src/services/agents/recommendations.ts';

const SQUARES = ['sq-a', 'sq-b', 'sq-c'];
/** A square on the atlas whose holes EPU has not found yet. */
const UNSEEN = 'sq-unseen';
const HOLES = 12;
const LATTICE = [0, 2, 5, 7, 8, 10, 1, 3, 4, 6, 9, 11];

describe('recommendations become instructions', () => {
  let backend: RunningBackend;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${backend.url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const instructions = async (): Promise<InstructionRecord[]> => (await call('GET', '/agent/krios/session/s1/instructions')).json;
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    backend = await startBackend({ log: createLogger({ level: 'silent', pretty: false }), worker: true, host: '127.0.0.1', port: 0 });
    await call('POST', '/batch/acquisitions', { items: [{ uuid: 'acq', name: 'S' }] });
    await call('POST', '/batch/grids', { items: [{ uuid: 'grid', name: 'G', acquisition_uuid: 'acq' }] });
    assert.equal((await call('PUT', '/agent/krios/session/s1', { acquisition_uuid: 'acq', mode: 'auto' })).status, 201);
    await call('POST', '/batch/gridsquares', {
      items: [...SQUARES, UNSEEN].map((uuid, i) => ({ uuid, gridsquare_id: String(i + 1), grid_uuid: 'grid' })),
    });
    const holes = SQUARES.flatMap((sq) =>
      Array.from({ length: HOLES }, (_, i) => ({
        uuid: `${sq}-fh${i}`,
        foilhole_id: `${sq}${i}`,
        gridsquare_uuid: sq,
        gridsquare_id: sq,
        x_location: (LATTICE[i]! % 4) * 10,
        y_location: Math.floor(LATTICE[i]! / 4) * 10,
      })),
    );
    await call('POST', '/batch/foilholes', { items: holes });
    await call('POST', '/batch/micrographs', {
      items: holes
        .filter((_, i) => i % HOLES < 6 && i < 2 * HOLES)
        .map((h) => ({ uuid: `mic-${h.uuid}`, micrograph_id: `m-${h.uuid}`, foilhole_uuid: h.uuid, foilhole_id: h.foilhole_id })),
    });
  });
  after(async () => {
    await backend?.stop();
  });

  test('results make the worker write the square order and hole plans; a bad square is skipped', async () => {
    for (let i = 0; i < 6; i++) {
      assert.equal((await call('POST', `/micrographs/mic-sq-a-fh${i}/ctf`, { ctf_max_resolution_estimate: 3.0 })).status, 200);
      assert.equal((await call('POST', `/micrographs/mic-sq-b-fh${i}/ctf`, { ctf_max_resolution_estimate: 15.0 })).status, 200);
    }
    await waitFor('a skip of square b', async () =>
      (await instructions()).some(
        (r) =>
          r.instruction_type === 'athena.control.skip_gridsquares' &&
          r.status === 'pending' &&
          (r.payload.gridsquares_to_skip as Array<{ gridsquare_uuid: string }>).some((s) => s.gridsquare_uuid === 'sq-b'),
      ),
    );
    const live = (await instructions()).filter((r) => r.status === 'pending');
    const order = live.find((r) => r.instruction_type === 'athena.control.reorder_gridsquares')!;
    const ordered = (order.payload.gridsquare_order as Array<{ gridsquare_uuid: string; gridsquare_id: string }>).map(
      (s) => s.gridsquare_uuid,
    );
    assert.equal(ordered[0], 'sq-a', 'the good square comes first');
    assert.ok(!ordered.includes('sq-b'), 'the bad square is not in the order');
    assert.ok(ordered.includes(UNSEEN), 'a square without holes yet is in the order (EPU is told which square to image next)');
    assert.ok(ordered.indexOf(UNSEEN) > 0, 'behind the square whose holes came out good');
    const plans = live.filter((r) => r.instruction_type === 'athena.control.reorder_foilholes');
    assert.ok(plans.some((r) => r.payload.gridsquare_uuid === 'sq-a'));
    for (const plan of plans) {
      const listed = [
        ...(plan.payload.foilhole_order as Array<{ foilhole_uuid: string }>),
        ...(plan.payload.foilholes_to_skip as Array<{ foilhole_uuid: string }>),
      ];
      assert.ok(
        listed.every((h) => h.foilhole_uuid.startsWith(`${plan.payload.gridsquare_uuid}-`)),
        "a plan lists its own square's holes",
      );
    }
    assert.deepEqual(new Set(live.map((r) => r.topic)).size, live.length, 'one live instruction per topic');
  });

  test('nothing new, nothing written', async () => {
    await waitFor('the worker to settle', async () => {
      const before = (await instructions()).length;
      await new Promise((r) => setTimeout(r, 500));
      return (await instructions()).length === before;
    });
    const written = await recommendForGrid(backend.handle.db, 'grid', DEFAULT_QUALITY);
    assert.deepEqual(written, []);
  });
});
