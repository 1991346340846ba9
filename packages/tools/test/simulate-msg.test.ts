/** `smartem tools simulate-msg` as real child processes against a real `smartem up` (and RabbitMQ when AMQP_URL is set). */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SMARTEM = join(ROOT, 'packages/cli/bin/smartem.js');
const CSV = resolve(ROOT, '../shared/decision-data/eminsight/Supervisor_20230919_140141_84_bi23047-106_grid1_data_structure.csv');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [SMARTEM, ...args], { cwd: ROOT, env: { ...process.env, AMQP_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('simulate-msg through the API of a running backend', () => {
  let up: ChildProcess;
  let base = '';
  let dataDir = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smartem-sim-'));
    up = spawn(process.execPath, [SMARTEM, 'up', '--port', '0', '--data', dataDir], { cwd: ROOT, env: { ...process.env, AMQP_URL: '', DATABASE_URL: '' } });
    base = await new Promise<string>((ok, fail) => {
      let seen = '';
      const onData = (d: Buffer): void => {
        seen += d;
        const m = /listening on (http:\/\/[^\s]+)/.exec(seen);
        if (m) ok(m[1]);
      };
      up.stdout!.on('data', onData);
      up.stderr!.on('data', onData);
      up.on('exit', (code) => fail(new Error(`smartem up exited ${code}: ${seen}`)));
    });
  });
  after(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up.once('exit', r));
      up.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('replays real processing results; replaying again changes nothing; the rankings see them', { skip: !existsSync(CSV) && `no ${CSV}` }, async () => {
    const first = await run(['tools', 'simulate-msg', '--api', base, '--replay', CSV, '--limit', '15', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.equal(summary.micrographs, 15);
    assert.equal(summary.messages, 45);
    assert.deepEqual(summary.outcomes, { updated: 45 });
    const again = await run(['tools', 'simulate-msg', '--api', base, '--replay', CSV, '--limit', '15', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).outcomes, { unchanged: 45 });
    const res = await fetch(`${base}/grids/${summary.grid_uuid}/suggested_squares`);
    const body = (await res.json()) as { micrographs: number; foilholes_with_quality: number; squares: Array<{ gridsquare_id: string }> };
    assert.equal(body.micrographs, 15);
    assert.ok(body.foilholes_with_quality > 0);
    assert.equal(body.squares[0].gridsquare_id, '19493759');
  });

  test('single commands: a valid result is stored, a malformed one is refused naming the field, unknown micrograph 404', async () => {
    const list = (await (await fetch(`${base}/micrographs?limit=1`)).json()) as Array<{ uuid: string }>;
    const uuid = list[0]?.uuid;
    if (!uuid) return; // the replay test was skipped: nothing to address
    const ok = await run(['tools', 'simulate-msg', 'particle-selection-complete', '--uuid', uuid, '--api', base, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).outcome, 'updated');
    const bad = await run(['tools', 'simulate-msg', 'ctf-complete', '--uuid', uuid, '--api', base, '--no-legit']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /422.*ctf_max_resolution_estimate/s);
    const missing = await run(['tools', 'simulate-msg', 'ctf-complete', '--uuid', 'no-such-micrograph', '--api', base]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404/);
  });

  test('usage errors are one clear line', async () => {
    const nowhere = await run(['tools', 'simulate-msg', 'ctf-complete', '--uuid', 'x']);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /--api URL or --amqp URL/);
    const unknown = await run(['tools', 'simulate-msg', 'warp-drive', '--api', base]);
    assert.match(unknown.stderr, /unknown command "warp-drive"/);
    const entityOverHttp = await run(['tools', 'simulate-msg', 'grid-created', '--uuid', 'g', '--api', base]);
    assert.match(entityOverHttp.stderr, /only go to the bus/);
  });
});

describe('simulate-msg to RabbitMQ', { skip: !process.env.AMQP_URL && 'AMQP_URL not set' }, () => {
  test('valid, malformed and rogue messages arrive on the queue as sent', async () => {
    const queue = `smartem_sim_test_${randomBytes(4).toString('hex')}`;
    const amqp = process.env.AMQP_URL!;
    for (const args of [['ctf-complete', '--uuid', 'm1'], ['ctf-complete', '--uuid', 'm1', '--no-legit'], ['rogue-message']]) {
      const r = await run(['tools', 'simulate-msg', ...args, '--amqp', amqp, '--queue', queue]);
      assert.equal(r.code, 0, r.stderr);
    }
    const { createBus } = await import('@smartem/backend/bus/index.ts');
    const { createLogger } = await import('@smartem/common');
    const bus = await createBus({ amqpUrl: amqp, queue, log: createLogger({ level: 'silent', pretty: false }) });
    const got: unknown[] = [];
    const consumer = await bus.consume(async (m) => {
      got.push(m);
    });
    for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();
    await bus.close();
    const { deleteQueues } = await import('../../backend/test/support/bus/index.ts');
    await deleteQueues(amqp, [queue, `${queue}.dlq`]);
    assert.deepEqual(got, [
      { event_type: 'ctf.completed', micrograph_uuid: 'm1', ctf_max_resolution_estimate: 3.8 },
      { event_type: 'ctf.completed', micrograph_uuid: 'm1', ctf_max_resolution_estimate: -3.8 },
      { event_type: 'foo bar' },
    ]);
  });
});
