/**
 * Embedded mode (`startBackend` on a PGlite data directory with the in-process bus and worker): the worker's dead
 * letters are kept in the database, so `GET /dead-letters` still lists them after a restart on the same directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from '../src/runtime/backend.ts';
import { silentLog, waitFor } from './support/bus/index.ts';

interface DeadLetterBody {
  queue: string;
  count: number;
  dead_letters: Array<{ message: unknown; error: string; attempts: number; failed_at: string }>;
}

async function getDeadLetters(url: string, query = ''): Promise<DeadLetterBody> {
  const res = await fetch(`${url}/dead-letters${query}`);
  assert.equal(res.status, 200);
  return (await res.json()) as DeadLetterBody;
}

function embedded(dataDir: string) {
  return startBackend({ log: silentLog, dataDir, worker: true, host: '127.0.0.1', port: 0 });
}

test("the in-process bus's dead letters survive a stop and a start on the same data directory", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartem-dlq-'));
  try {
    const first = await embedded(dataDir);
    try {
      assert.equal(first.bus.kind, 'in-process');
      await first.bus.publish([
        { event_type: 'nobody.handles.this', uuid: 'a' },
        { event_type: 'foilhole.created', foilhole_id: '7' },
      ]);
      await waitFor('two dead letters', async () => (await getDeadLetters(first.url)).count === 2);
    } finally {
      await first.stop();
    }

    const second = await embedded(dataDir);
    try {
      const body = await getDeadLetters(second.url);
      assert.equal(body.queue, 'smartem_backend.dlq');
      assert.equal(body.count, 2);
      assert.deepEqual(
        body.dead_letters.map((l) => [l.message, l.error, l.attempts]),
        [
          [{ event_type: 'nobody.handles.this', uuid: 'a' }, 'no handler registered for event type "nobody.handles.this"', 1],
          [
            { event_type: 'foilhole.created', foilhole_id: '7' },
            'foilhole.created: field "uuid" must be a non-empty string, got nothing',
            1,
          ],
        ],
      );
      assert.ok(body.dead_letters.every((l) => !Number.isNaN(Date.parse(l.failed_at))));
      assert.equal((await getDeadLetters(second.url, '?limit=1')).count, 1);

      // A new dead letter after the restart is listed after the earlier ones.
      await second.bus.publish([{ event_type: 'nobody.handles.this', uuid: 'b' }]);
      await waitFor('a third dead letter', async () => (await getDeadLetters(second.url)).count === 3);
      assert.deepEqual((await getDeadLetters(second.url)).dead_letters[2]?.message, { event_type: 'nobody.handles.this', uuid: 'b' });
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
