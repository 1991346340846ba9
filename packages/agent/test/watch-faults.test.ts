// Durability of `smartem agent watch` while the simulator plays a visit: the backend stopped for part of the play and
// restarted, and the agent killed (SIGKILL) mid-play and restarted on its journal. Afterwards the backend holds exactly
// the visit's entities: nothing lost, nothing duplicated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, startBackend, type Backend, type Child } from './support/processes.ts';
import { expectedFromVisit } from './support/visit-check.ts';
import { PACED, playWithHooks, settleAndCheck, SMALL_VISIT, tempDir } from './support/scenario.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;
const dataDir = () => join(tmp.path, 'db');

before(async () => {
  tmp = await tempDir('smartem-watch-faults-');
  backend = await startBackend(dataDir());
});
after(async () => {
  await backend?.stop();
  await tmp?.remove();
});

test('backend stopped for part of the play and restarted: nothing lost, no duplicate', async () => {
  const dir = join(tmp.path, 'outage');
  const state = join(tmp.path, 'outage-state');
  const agent = startAgent(dir, backend.url, state);
  const port = backend.port;
  const { summary, hooks } = await playWithHooks({ out: dir, seed: 21, ...PACED, ...SMALL_VISIT }, [
    { at: 0.25, run: async () => void (await backend.stop()) },
    {
      at: 0.75,
      run: async () => {
        // Restart once the previous process is gone (PGlite's directory lock), on the same port.
        await backend.exited;
        backend = await startBackend(dataDir(), port);
      },
    },
  ]);
  await hooks;
  assert.match(agent.output(), /backend unavailable/, 'the agent noticed the outage');
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(summary));
});

test('agent killed mid-play (SIGKILL) and restarted on its journal: nothing lost, no duplicate', async () => {
  const dir = join(tmp.path, 'kill');
  const state = join(tmp.path, 'kill-state');
  let agent: Child = startAgent(dir, backend.url, state);
  const { summary, hooks } = await playWithHooks({ out: dir, seed: 22, ...PACED, ...SMALL_VISIT }, [
    { at: 0.4, run: () => agent.kill() },
    {
      at: 0.6,
      run: async () => {
        await agent.exited;
        agent = startAgent(dir, backend.url, state);
      },
    },
  ]);
  await hooks;
  while (!agent.output().includes('journal replayed') && agent.proc.exitCode === null) await sleep(100);
  assert.match(agent.output(), /journal replayed/, 'the restarted agent replayed its journal');
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(summary));
});
