// Processing feedback through the real route: an embedded backend, the agent (a real `smartem agent watch` process)
// ingesting the simulated visit, and the simulator posting motion/CTF/particles per micrograph by the uuid the
// agent gave it. The stored CTF of every micrograph is its hole's truth. Also: `smartem bench decisions --truth`
// runs on the simulator's own ground-truth.csv.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@smartem/common';
import { startBackend, type RunningBackend } from '@smartem/backend';
import { loadCryoRl } from '@smartem/decisions/bench/dataset';
import { playVisit } from '../src/index.ts';
import { runSmartem, SMARTEM_BIN } from '../../backend/test/support/cli.ts';

let dir = '';
let backend: RunningBackend;
let agent: ChildProcess | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'epu-sim-feedback-'));
  backend = await startBackend({
    log: createLogger({ level: 'error', name: 'test' }),
    dataDir: join(dir, 'db'),
    port: 0,
    worker: true,
    migrate: true,
  });
});
after(async () => {
  agent?.kill('SIGTERM');
  await backend.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("every collected micrograph gets motion, CTF and particles; the stored CTF is its hole's truth", async () => {
  const visitDir = join(dir, 'visit');
  agent = spawn(process.execPath, [SMARTEM_BIN, 'agent', 'watch', visitDir, '--api', backend.url, '--state', join(dir, 'agent')], {
    stdio: 'ignore',
  });
  const summary = await playVisit({
    out: visitDir,
    squares: 2,
    holesPerSquare: 3,
    shotsPerHole: 2,
    seed: 4,
    atlas: false,
    fast: true,
    feedback: { api: backend.url, resolveTimeoutMs: 60_000 },
  });
  assert.deepEqual(summary.feedback, { sent: 12, failed: 0, pending: 0 });
  const truth = await loadCryoRl(summary.groundTruthCsv);
  const ctfByHole = new Map(truth.holes.map((h) => [h.id, h.ctf]));
  const res = await fetch(`${backend.url}/micrographs`);
  const micrographs = (await res.json()) as Array<{
    foilhole_id: string;
    ctf_max_resolution_estimate: number | null;
    total_motion: number | null;
    number_of_particles_picked: number | null;
  }>;
  assert.equal(micrographs.length, 12);
  for (const m of micrographs) {
    assert.equal(m.ctf_max_resolution_estimate, ctfByHole.get(m.foilhole_id), `micrograph of hole ${m.foilhole_id}`);
    assert.ok((m.total_motion ?? 0) > 0 && (m.number_of_particles_picked ?? 0) > 0);
  }
});

test('with a feedback delay (not --fast), each result is sent no sooner than the delay after its micrograph, and all arrive', async () => {
  const visitDir = join(dir, 'visit-delayed');
  const delayed = spawn(
    process.execPath,
    [SMARTEM_BIN, 'agent', 'watch', visitDir, '--api', backend.url, '--state', join(dir, 'agent-delayed')],
    {
      stdio: 'ignore',
    },
  );
  try {
    const written = new Map<string, number>();
    const stored = new Map<string, number>();
    const speed = 600;
    const delayMs = 120_000; // simulated: 200 ms real at 600×
    const summary = await playVisit({
      out: visitDir,
      squares: 1,
      holesPerSquare: 3,
      shotsPerHole: 2,
      seed: 5,
      atlas: false,
      speed,
      maxDelayMs: 50,
      onEvent: (e) => {
        if (e.type === 'file' && e.micrograph && !e.rewrite) written.set(e.micrograph.uniqueId, Date.now());
      },
      feedback: {
        api: backend.url,
        delayMs,
        resolveTimeoutMs: 60_000,
        onResult: (r) => {
          if (r.ok && r.ctfStoredAt !== undefined) stored.set(r.uniqueId, r.ctfStoredAt);
        },
      },
    });
    assert.deepEqual(summary.feedback, { sent: 6, failed: 0, pending: 0 });
    assert.equal(stored.size, 6);
    for (const [id, at] of stored) {
      const wrote = written.get(id);
      assert.ok(wrote !== undefined, `micrograph ${id} was written`);
      assert.ok(
        at - wrote >= delayMs / speed - 5,
        `micrograph ${id}: result ${at - wrote} ms after the manifest, delay ${delayMs / speed} ms`,
      );
    }
  } finally {
    delayed.kill('SIGTERM');
  }
});

test("smartem bench decisions --truth reads the simulator's ground-truth.csv", async () => {
  const summary = await playVisit({
    out: join(dir, 'bench'),
    squares: 3,
    holesPerSquare: 6,
    shotsPerHole: 1,
    seed: 9,
    atlas: false,
    fast: true,
  });
  const r = await runSmartem(['bench', 'decisions', '--truth', summary.groundTruthCsv, '--budget', '20', '--starts', '3']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /ground-truth\.csv: 18 holes, budget 20, 3 starts/);
  assert.match(r.out, /systematic/);
});
