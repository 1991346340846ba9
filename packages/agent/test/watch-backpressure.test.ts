// Backpressure of `smartem agent watch`: a finished visit of 1,000 micrographs, the backend absent. The agent reads
// parents and a bounded number of micrographs, holds the rest unread while it retries, and once the backend appears
// everything arrives exactly once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateVisit } from '@smartem/epu-sim';
import { freePort, startAgent, startBackend, startSmartem, type Backend } from './support/processes.ts';
import { expectedFromVisit } from './support/visit-check.ts';
import { settleAndCheck, tempDir } from './support/scenario.ts';

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
let backend: Backend | undefined;
after(async () => {
  await backend?.stop();
  await tmp?.remove();
});

async function journalEntities(dir: string, state: string): Promise<{ micrographs: number; pending: number }> {
  const child = startSmartem(['agent', 'watch', dir, '--status', '--json', '--state', state]);
  await child.exited;
  const out = child.output();
  const status = JSON.parse(out.slice(out.indexOf('{'))) as { entities: { micrograph: number }; pending: number };
  return { micrographs: status.entities.micrograph, pending: status.pending };
}

test('backend away during catch-up: micrographs read stay bounded by --max-pending; afterwards each arrives once', async () => {
  tmp = await tempDir('smartem-watch-backpressure-');
  const dir = join(tmp.path, 'visit');
  const state = join(tmp.path, 'state');
  const visit = await generateVisit({ out: dir, seed: 31, squares: 4, holesPerSquare: 10, shotsPerHole: 25, grids: 1 });
  const micrographs = visit.grids.reduce((n, g) => n + g.micrographIds.length, 0);
  assert.equal(micrographs, 1000);
  const maxPending = 150;
  // Past the limit by at most one recount interval of the hold check (32) and the file queue's concurrency (8).
  const bound = maxPending + 32 + 8;

  const port = await freePort();
  const agent = startAgent(dir, `http://127.0.0.1:${port}`, state, ['--max-pending', String(maxPending)]);
  let peak = 0;
  // Until the agent has retried a few times and says it holds reading back (its progress line, every 5 s).
  while ((agent.output().match(/backend unavailable/g) ?? []).length < 3 || !agent.output().includes('reading held back')) {
    assert.equal(agent.proc.exitCode, null, agent.output());
    peak = Math.max(peak, (await journalEntities(dir, state)).micrographs);
    assert.ok(peak <= bound, `journal holds ${peak} micrographs while the backend is away (bound ${bound})`);
    await sleep(200);
  }
  const held = await journalEntities(dir, state);
  assert.ok(held.micrographs <= bound, `journal holds ${held.micrographs} micrographs (bound ${bound})`);
  assert.ok(held.micrographs < micrographs, 'the rest waits unread');
  assert.ok(held.pending >= held.micrographs, 'all of them unacknowledged, kept in the journal');

  backend = await startBackend(join(tmp.path, 'db'), port);
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(visit));
});
