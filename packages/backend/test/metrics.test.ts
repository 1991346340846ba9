/**
 * `GET /metrics`: the embedded backend's API counts requests by route pattern, entities by kind and outcome, and the
 * in-process worker's events; `smartem backend worker --metrics-port` serves the worker's metrics on a server of its
 * own (PostgreSQL + RabbitMQ). Output passes `promtool check metrics` when promtool is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connectSse } from '@smartem/client';
import { createLogger } from '@smartem/common';
import { startBackend } from '../src/runtime/backend.ts';
import { createScratchPostgres } from './support/databases.ts';
import { deleteQueues, uniqueQueueName, waitFor } from './support/bus/index.ts';
import { SMARTEM_BIN } from './support/cli.ts';

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;

function promtoolCheck(body: string): void {
  if (!hasPromtool) return;
  const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
}

/** The value of one sample line, e.g. `smartem_http_requests_total{method="GET",route="/grids",status="200"}`. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('the embedded backend serves /metrics without a token: requests by route pattern, entities ingested, worker events', async () => {
  const backend = await startBackend({ log: createLogger({ level: 'silent' }), port: 0, worker: true });
  try {
    const post = (path: string, items: unknown[]) =>
      fetch(`${backend.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
    assert.equal((await post('/batch/acquisitions', [{ uuid: 'acq-m', id: 'session-m', name: 'S' }])).status, 200);
    assert.equal(
      (
        await post('/batch/grids', [
          { uuid: 'grid-m1', name: 'G1', acquisition_uuid: 'acq-m' },
          { uuid: 'grid-m2', name: 'G2', acquisition_uuid: 'acq-m' },
        ])
      ).status,
      200,
    );
    assert.equal((await post('/batch/grids', [{ uuid: 'grid-m1', name: 'G1 renamed', acquisition_uuid: 'acq-m' }])).status, 200);
    for (const uuid of ['grid-m1', 'grid-m2', 'no-such-grid']) await fetch(`${backend.url}/grids/${uuid}`);
    await fetch(`${backend.url}/no/such/route/${Math.random()}`);

    let body = '';
    await waitFor('the worker to handle grid.created twice', async () => {
      const response = await fetch(`${backend.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      body = await response.text();
      return sample(body, 'smartem_worker_events_handled_total{event_type="grid.created"}') === 2;
    });
    promtoolCheck(body);
    assert.equal(sample(body, 'smartem_entities_ingested_total{kind="acquisition",outcome="created"}'), 1);
    assert.equal(sample(body, 'smartem_entities_ingested_total{kind="grid",outcome="created"}'), 2);
    assert.equal(sample(body, 'smartem_entities_ingested_total{kind="grid",outcome="updated"}'), 1);
    assert.equal(sample(body, 'smartem_http_requests_total{method="POST",route="/batch/grids",status="200"}'), 2);
    assert.equal(sample(body, 'smartem_http_requests_total{method="GET",route="/grids/:grid_uuid",status="200"}'), 2);
    assert.equal(sample(body, 'smartem_http_requests_total{method="GET",route="/grids/:grid_uuid",status="404"}'), 1);
    assert.equal(sample(body, 'smartem_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
    assert.ok(!body.includes('route="/metrics"'), 'scrapes are not counted');
    assert.ok((sample(body, 'smartem_outbox_published_total') ?? 0) >= 4);
    assert.equal(sample(body, 'smartem_outbox_depth'), 0);
    assert.ok(sample(body, 'smartem_process_cpu_user_seconds_total') !== undefined, 'process metrics');
    const docs = (await (await fetch(`${backend.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(!('/metrics' in docs.paths), '/metrics is not part of the API document');

    // An agent's instruction stream is counted while it is open.
    const session = await fetch(`${backend.url}/agent/a1/session/s1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ acquisition_uuid: 'acq-m', mode: 'auto' }),
    });
    assert.equal(session.status, 201);
    const streams = 'smartem_sse_clients{route="/agent/:agent_id/session/:session_id/instructions/stream"}';
    const sseClients = async () => sample(await (await fetch(`${backend.url}/metrics`)).text(), streams);
    const controller = new AbortController();
    const stream = await connectSse({ url: `${backend.url}/agent/a1/session/s1/instructions/stream`, signal: controller.signal });
    const reading = (async () => {
      try {
        for await (const _ of stream);
      } catch {
        // aborted
      }
    })();
    await waitFor('the stream to be counted', async () => (await sseClients()) === 1);
    controller.abort();
    await reading;
    await waitFor('the closed stream to be uncounted', async () => (await sseClients()) === 0);
  } finally {
    await backend.stop();
  }
});

const skipWorker = process.env.DATABASE_URL && process.env.AMQP_URL ? false : 'needs DATABASE_URL and AMQP_URL';

test('smartem backend worker --metrics-port serves /metrics and /health, nothing else', {
  skip: skipWorker,
  timeout: 180_000,
}, async () => {
  const database = await createScratchPostgres();
  const queue = uniqueQueueName('smartem_metrics');
  const child = spawn(process.execPath, [SMARTEM_BIN, 'backend', 'worker', '--queue', queue, '--metrics-port', '0'], {
    env: { ...process.env, DATABASE_URL: database.url, SMARTEM_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await waitFor(
      'the worker to print its metrics URL',
      () => {
        assert.equal(child.exitCode, null, out);
        return /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(out);
      },
      120_000,
    );
    const url = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)![1]!;
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    const body = await metrics.text();
    promtoolCheck(body);
    assert.equal(sample(body, 'smartem_outbox_depth'), 0);
    assert.match(body, /# HELP smartem_worker_events_handled_total /);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    assert.equal((await fetch(`${url}/grids`)).status, 404);
    assert.equal((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await deleteQueues(process.env.AMQP_URL!, [queue, `${queue}.dlq`]).catch(() => {});
    await database.drop();
  }
});
