/** The shared shutdown: stops run last-registered first, a failing stop is logged and the rest still run, once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@smartem/common';
import { Shutdown } from '../src/runtime/lifecycle.ts';

test('Shutdown runs the stops in reverse order, past a failing one, and only once', async () => {
  const ran: string[] = [];
  const shutdown = new Shutdown(createLogger({ level: 'silent', pretty: false }));
  shutdown.add('database', async () => void ran.push('database'));
  shutdown.add('bus', async () => {
    ran.push('bus');
    throw new Error('broker gone');
  });
  shutdown.add('http', async () => void ran.push('http'));
  await shutdown.run();
  await shutdown.run();
  assert.deepEqual(ran, ['http', 'bus', 'database']);
});
