// `smartem agent watch` facing what a workstation throws at it, as real processes against a real backend: a huge file
// named like a manifest (reported, never read, the rest syncs), the watched directory deleted and made again (said
// so, watched again when it returns), and a second agent on the same state directory (one clear error).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, ftruncateSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateVisit } from '@smartem/epu-sim';
import { startAgent, startBackend, type Backend, type Child } from './support/processes.ts';
import { expectedFromVisit, visitInBackend } from './support/visit-check.ts';
import { settleAndCheck, SMALL_VISIT, tempDir } from './support/scenario.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;

before(async () => {
  tmp = await tempDir('smartem-watch-hazards-');
  backend = await startBackend(join(tmp.path, 'db'));
});
after(async () => {
  await backend?.stop();
  await tmp?.remove();
});

/** Waits until the agent's output matches `pattern` (or it exits). */
async function waitForOutput(agent: Child, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(agent.output()) && agent.proc.exitCode === null && Date.now() < deadline) await sleep(100);
  assert.match(agent.output(), pattern);
}

/** Peak resident set size of a Linux process in MB (VmHWM), null elsewhere. */
function peakRssMb(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

test('a 256 MB file named like a micrograph manifest is reported by name and never read; the rest of the visit syncs', async (t) => {
  const dir = join(tmp.path, 'oversize');
  const state = join(tmp.path, 'oversize-state');
  const visit = await generateVisit({ out: dir, seed: 31, ...SMALL_VISIT });
  const data = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith('/Data'))!;
  const huge = join(dir, data, 'FoilHole_1_Data_2_3_20250101_120000.xml');
  const fd = openSync(huge, 'w');
  ftruncateSync(fd, 256 * 1024 * 1024); // sparse: 256 MB to read, no disk used
  closeSync(fd);
  const agent = startAgent(dir, backend.url, state, ['--status-interval', '1']);
  await waitForOutput(agent, /1 oversize files not read/);
  const peak = peakRssMb(agent.proc.pid!);
  t.diagnostic(`agent peak RSS ${peak?.toFixed(0)} MB with a 256 MB file in the visit`);
  await settleAndCheck(backend.url, agent, dir, state, expectedFromVisit(visit));
  assert.match(agent.output(), /file is larger than any EPU manifest; not read/);
  assert.ok(agent.output().includes(huge), 'the file is named');
  // Reading it would have held its 256 MB at least (the bytes; twice that again as a string).
  if (peak !== null) assert.ok(peak < 256, `peak RSS ${peak} MB`);
});

test('the watched directory deleted: the agent says so, keeps running, and takes up the directory made again', async () => {
  const dir = join(tmp.path, 'vanishing');
  const state = join(tmp.path, 'vanishing-state');
  const first = await generateVisit({ out: dir, seed: 32, ...SMALL_VISIT, grids: 1 });
  const agent = startAgent(dir, backend.url, state);
  try {
    await waitForOutput(agent, /caught up/);
    await rm(dir, { recursive: true });
    await waitForOutput(agent, /the watched directory is gone; waiting for it to come back/);
    assert.equal(agent.proc.exitCode, null, 'still running');
    const second = await generateVisit({ out: dir, seed: 33, ...SMALL_VISIT, grids: 1 });
    await waitForOutput(agent, /the watched directory is back/);
    const wanted = [...expectedFromVisit(first).micrographs, ...expectedFromVisit(second).micrographs];
    const deadline = Date.now() + 120_000;
    let held: string[] = [];
    while (Date.now() < deadline) {
      held = (await visitInBackend(backend.url, dir)).micrographs;
      if (wanted.every((m) => held.includes(m))) break;
      await sleep(500);
    }
    assert.deepEqual(
      wanted.filter((m) => !held.includes(m)),
      [],
      `micrographs of both visits in the backend\n${agent.output().slice(-3000)}`,
    );
  } finally {
    await agent.stop();
  }
});

test('a second agent on the same state directory: exit 1 naming the directory and the first agent, no stack trace', async () => {
  const dir = join(tmp.path, 'shared');
  const state = join(tmp.path, 'shared-state');
  await generateVisit({ out: dir, seed: 34, squares: 1, holesPerSquare: 2, shotsPerHole: 1 });
  const firstAgent = startAgent(dir, backend.url, state);
  try {
    await waitForOutput(firstAgent, /caught up/);
    const second = startAgent(dir, backend.url, state);
    assert.equal(await second.exited, 1);
    const escaped = state.replace(/[/\\]/g, '.');
    assert.match(second.output(), new RegExp(`error: state directory ${escaped} is in use by process ${firstAgent.proc.pid} since `));
    assert.doesNotMatch(second.output(), /\n\s+at /, 'no stack trace');
    assert.equal(firstAgent.proc.exitCode, null, 'the first agent runs on');
  } finally {
    await firstAgent.stop();
  }
});
