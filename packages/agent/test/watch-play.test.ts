// `smartem agent watch` against a real `smartem up`, while the simulator plays visits the way EPU writes them
// (chunked writes, children before parents, duplicate FoilHole manifests, bursts): agent started before, during and
// after the play. Afterwards the backend must hold exactly the visit's entities: same counts, same natural ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, startBackend, type Backend, type Child } from './support/processes.ts';
import { expectedFromVisit } from './support/visit-check.ts';
import { PACED, playWithHooks, settleAndCheck, SMALL_VISIT, tempDir } from './support/scenario.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;

before(async () => {
  tmp = await tempDir('smartem-watch-play-');
  backend = await startBackend(join(tmp.path, 'db'));
});
after(async () => {
  await backend?.stop();
  await tmp?.remove();
});

test('agent started before EPU writes', async () => {
  const dir = join(tmp.path, 'before');
  const state = join(tmp.path, 'before-state');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const agent = startAgent(dir, backend.url, state);
  while (!agent.output().includes('caught up')) {
    assert.equal(agent.proc.exitCode, null, agent.output());
    await sleep(100);
  }
  const { summary } = await playWithHooks({ out: dir, seed: 11, fast: true, ...SMALL_VISIT });
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(summary));
});

test('agent started while EPU writes', async () => {
  const dir = join(tmp.path, 'during');
  const state = join(tmp.path, 'during-state');
  let agent: Child | undefined;
  const { summary, hooks } = await playWithHooks({ out: dir, seed: 12, ...PACED, ...SMALL_VISIT }, [
    { at: 0.3, run: async () => void (agent = startAgent(dir, backend.url, state)) },
  ]);
  await hooks;
  await settleAndCheck(backend.url, agent!, dir, state, expectedFromVisit(summary));
});

test('agent started after EPU finished', async () => {
  const dir = join(tmp.path, 'after');
  const state = join(tmp.path, 'after-state');
  const { summary } = await playWithHooks({ out: dir, seed: 13, fast: true, ...SMALL_VISIT });
  const agent = startAgent(dir, backend.url, state);
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(summary));
});
