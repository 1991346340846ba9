import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVisit, playVisit, type PlayOptions, type PlaySummary } from '@smartem/epu-sim';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { replayJournal } from '../../src/watch/journal.ts';
import { EntityStore } from '../../src/watch/store.ts';
import { startSmartem, type Child } from './processes.ts';
import { visitInBackend, waitForVisit, type VisitInBackend } from './visit-check.ts';

/** A small visit with two grids sharing one atlas: every kind of EPU file, duplicates and rewrites. */
export const SMALL_VISIT = { squares: 3, holesPerSquare: 5, shotsPerHole: 3, grids: 2 } as const;
/** Slow enough (a few seconds) for something to happen in the middle of it. */
export const PACED = { speed: 500, maxDelayMs: 50 } as const;

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Plays a visit and calls `at(fraction)` hooks once the share of completed files passes each fraction
 * (hooks run concurrently with the play; the play does not wait for them).
 */
export async function playWithHooks(
  opts: PlayOptions,
  hooks: { at: number; run: () => Promise<void> }[] = [],
): Promise<{ summary: PlaySummary; hooks: Promise<void> }> {
  const pending = [...hooks].sort((a, b) => a.at - b.at);
  const started: Promise<void>[] = [];
  // The number of files of this visit, from the same visit generated at once into a scratch directory.
  const scratch = await tempDir('smartem-visit-size-');
  const { squares, holesPerSquare, shotsPerHole, seed, grids, atlas } = opts;
  const total = (await generateVisit({ squares, holesPerSquare, shotsPerHole, seed, grids, atlas, out: scratch.path })).files;
  await scratch.remove();
  let done = 0;
  const summary = await playVisit({
    ...opts,
    onEvent: (e) => {
      if (e.type !== 'file') return;
      done++;
      while (pending.length && done / total >= pending[0]!.at) started.push(pending.shift()!.run());
    },
  });
  // Hooks not reached (a tiny visit) run at the end.
  for (const h of pending) started.push(h.run());
  return { summary, hooks: Promise.all(started).then(() => {}) };
}

/** The agent's journal view (`watch --status --json`). */
export async function journalStatus(dir: string, stateDir: string): Promise<{ pending: number; orphanTotal: number; failed: number }> {
  const child = startSmartem(['agent', 'watch', dir, '--status', '--json', '--state', stateDir]);
  await child.exited;
  const out = child.output();
  return JSON.parse(out.slice(out.indexOf('{'))) as { pending: number; orphanTotal: number; failed: number };
}

/** Entities the agent's journal holds unacknowledged, read here as `watch --status` reads it (no process to start). */
async function journalPending(stateDir: string): Promise<number> {
  const store = new EntityStore();
  await replayJournal(join(stateDir, 'journal.jsonl'), store);
  return store.pendingCount();
}

/**
 * Waits until the backend holds the visit and the agent's journal has nothing unacknowledged, stops the agent, and
 * asserts: exactly the expected entities (no duplicate, none missing), no orphan, nothing rejected.
 */
export async function settleAndCheck(url: string, agent: Child, visitDir: string, state: string, expected: VisitInBackend): Promise<void> {
  const seen = await waitForVisit(url, expected, visitDir);
  for (let i = 0; i < 300 && (await journalPending(state)) > 0; i++) await sleep(100);
  // Read once more after the journal drained: a late duplicate would show here.
  const final = await visitInBackend(url, visitDir);
  await agent.stop();
  const log = `agent output (tail):\n${agent.output().slice(-3000)}`;
  assert.deepEqual(final, expected, log);
  assert.deepEqual(seen, final, `nothing changed after the journal drained\n${log}`);
  const status = await journalStatus(visitDir, state);
  assert.equal(status.orphanTotal, 0, 'no orphan left');
  assert.equal(status.failed, 0, 'nothing rejected');
}
