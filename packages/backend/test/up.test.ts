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
import { waitFor } from './support/bus/index.ts';
import {
  SMARTEM_BIN as bin,
  runSmartem as runToExit,
  spawnSmartem,
  startSmartem as start,
  type Spawned,
  type Started,
} from './support/cli.ts';

const upArgs = (dataDir: string) => ['up', '--port', '0', '--host', '127.0.0.1', '--data', dataDir];

function startUp(dataDir: string): Promise<Started> {
  return start(upArgs(dataDir), {});
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

/** Waits for `promise`, at most `timeoutMs`: fails naming `what` if it has not settled by then (never stays pending). */
async function within<T>(what: string, promise: Promise<T>, timeoutMs = 30_000): Promise<T> {
  const box: { settled?: { value: T } | { error: unknown } } = {};
  promise.then(
    (value) => (box.settled = { value }),
    (error: unknown) => (box.settled = { error }),
  );
  await waitFor(what, () => box.settled !== undefined, timeoutMs);
  const settled = box.settled!;
  if ('error' in settled) throw settled.error;
  return settled.value;
}

/** A raw HTTP/1.1 connection to `url`: everything received on it so far, and whether it has closed. */
function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const state = { socket, received: '', connected: false, closed: false };
  socket.once('connect', () => (state.connected = true));
  socket.on('data', (c: Buffer) => (state.received += c.toString()));
  socket.on('error', () => {}); // a reset is seen as the close that follows it
  socket.once('close', () => (state.closed = true));
  return state;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The complete responses in what a connection received, in order (interim `100 Continue` included). */
function responsesIn(received: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = received;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return out;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]);
    const length = status >= 200 ? Number(headers['content-length'] ?? 0) : 0;
    if (rest.length < headEnd + 4 + length) return out;
    out.push({ status, headers, body: rest.slice(headEnd + 4, headEnd + 4 + length) });
    rest = rest.slice(headEnd + 4 + length);
  }
}

// Every wait below is bounded and fails naming what did not happen. The bounds are not timings: they are many times what
// the steps take even beside a CI run on two cores (a start there can take 40 s), and those of the shutdown stay well
// below the 72 s keep-alive timeout that kept the process alive before.
const STARTUP_MS = 120_000;
const STOP_MS = 40_000;

test('smartem up on SIGTERM: ends the live streams, answers a request in flight and closes its connection, closes idle keep-alive connections, exits, keeps the data', {
  timeout: 300_000,
}, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartem-up-stop-'));
  // Spawned, not awaited: whatever fails, `finally` can still end the processes (else they would keep the test alive).
  const started: Spawned[] = [];
  const up = () => {
    const spawned = spawnSmartem(upArgs(dataDir), {});
    started.push(spawned);
    return spawned;
  };
  const first = up();
  const exited: { code?: number | null } = {};
  void first.exit.then((code) => (exited.code = code));
  const liveAbort = new AbortController();
  const connections: Array<ReturnType<typeof rawConnection>> = [];
  try {
    const url = await within('smartem up to listen', first.listening, STARTUP_MS);
    // A dashboard's live stream, open until the backend ends it.
    const live = await within('the live stream to answer', fetch(`${url}/events/stream`, { signal: liveAbort.signal }));
    assert.equal(live.status, 200);
    const stream = { text: '', ended: '' };
    void (async () => {
      const reader = live.body!.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          stream.text += decoder.decode(value);
        }
        stream.ended = 'ended';
      } catch (error) {
        // The server may close the connection right after the stream's last bytes: the stream has ended all the same.
        stream.ended = `closed (${(error as Error).message})`;
      }
    })();
    await waitFor("the live stream's connection event", () => stream.text.includes('event: connection') || stream.ended !== '');
    assert.ok(stream.text.includes('event: connection'), `the live stream ended before its connection event: ${stream.ended}`);

    // A keep-alive client that has had its answer and stays connected, idle.
    const idle = rawConnection(url);
    connections.push(idle);
    idle.socket.write(`GET /health HTTP/1.1\r\nHost: ${url.slice(7)}\r\nConnection: keep-alive\r\n\r\n`);
    await waitFor("the idle client's answer", () => responsesIn(idle.received).length > 0 || idle.closed);
    const [health] = responsesIn(idle.received);
    assert.equal(health?.status, 200, `GET /health on a keep-alive connection: ${idle.received}`);
    assert.notEqual(health.headers.connection, 'close', 'before shutdown a keep-alive connection stays open');

    // A request in flight at the signal: its headers are in (`Expect: 100-continue`, so the server says when it has
    // them, the request is then in progress), its body is not complete until the server is closing.
    const inFlight = rawConnection(url);
    connections.push(inFlight);
    const body = JSON.stringify({ uuid: 'acq-in-flight', name: 'posted while stopping' });
    inFlight.socket.write(
      `POST /acquisitions HTTP/1.1\r\nHost: ${url.slice(7)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
    );
    await waitFor(
      '100 Continue: the server has the headers of the request in flight',
      () => responsesIn(inFlight.received).length > 0 || inFlight.closed,
    );
    assert.equal(responsesIn(inFlight.received)[0]?.status, 100, `the request's headers were not taken: ${inFlight.received}`);

    first.child.kill('SIGTERM');
    const signalled = Date.now();
    // The live stream ends once the server is closing; the rest of the body then arrives during the shutdown.
    await waitFor('the live stream to end after SIGTERM', () => stream.ended !== '');
    inFlight.socket.write(body.slice(10));

    // The request in flight is answered (its handler finishes), with `Connection: close`, and its connection closed by
    // the server: a client that keeps it does not keep the process.
    const final = () => responsesIn(inFlight.received).find((r) => r.status >= 200);
    await waitFor('the answer to the request in flight', () => final() !== undefined || inFlight.closed);
    const answer = final();
    assert.ok(answer, `the server closed the connection of a request in flight without answering it: ${JSON.stringify(inFlight.received)}`);
    assert.equal(answer.status, 201, answer.body);
    assert.match(answer.body, /acq-in-flight/);
    assert.equal(
      answer.headers.connection,
      'close',
      `the answer to a request in flight at shutdown says Connection: close: ${JSON.stringify(answer.headers)}`,
    );
    await waitFor('the server to close the connection of the request in flight after its answer', () => inFlight.closed, STOP_MS);
    await waitFor('the server to close the idle keep-alive connection', () => idle.closed, STOP_MS);

    // The process exits (cleanly) with the test's clients still connected, not after the 72 s keep-alive timeout.
    await waitFor(
      `smartem up to exit within ${STOP_MS / 1000} s of SIGTERM with keep-alive clients connected`,
      () => exited.code !== undefined,
      Math.max(0, STOP_MS - (Date.now() - signalled)),
    );
    assert.equal(exited.code, 0, first.stderr());
    t.diagnostic(`exited ${Date.now() - signalled} ms after SIGTERM`);

    // What the request in flight committed is there at the next start.
    const second = up();
    const secondUrl = await within('smartem up to listen again', second.listening, STARTUP_MS);
    const read = await within('GET the acquisition', fetch(`${secondUrl}/acquisitions/acq-in-flight`));
    const acquisition = (await within('its body', read.json())) as { name: string };
    assert.equal(acquisition.name, 'posted while stopping');
    second.child.kill('SIGTERM');
    assert.equal(await within('the second smartem up to exit', second.exit, STOP_MS), 0, second.stderr());
  } finally {
    liveAbort.abort();
    for (const c of connections) c.socket.destroy();
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await within("the test's processes to end", Promise.all(started.map((s) => s.exit)), STOP_MS).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// A client can open a connection and send nothing on it: in `smartem bench closed-loop`, when the agent stops, fetch's
// pool reconnects for the requests the agent has just aborted, then has nothing to send, and keeps the connection
// until its own idle timeout (70 s once the server has said `Keep-Alive: timeout=72`), just as the backend is told to
// stop. Node.js counts such a connection as waiting for a request's headers, not as idle: closing the server (and
// `server.closeIdleConnections()`) leaves it open, and the process waits for the client to give up on it.
test('smartem up on SIGTERM: closes a connection on which the client has not sent anything yet, exits', {
  timeout: 300_000,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartem-up-silent-'));
  const up = spawnSmartem(upArgs(dataDir), {});
  const exited: { code?: number | null } = {};
  void up.exit.then((code) => (exited.code = code));
  const connections: Array<ReturnType<typeof rawConnection>> = [];
  try {
    const url = await within('smartem up to listen', up.listening, STARTUP_MS);
    const silent = rawConnection(url);
    connections.push(silent);
    await waitFor('the connection that sends nothing to be established', () => silent.connected || silent.closed);
    assert.equal(silent.closed, false, 'the server closed a connection at once, before any shutdown');

    // The server takes connections in the order they were established: once a later one is answered, it has taken
    // the silent one too (else the silent one would be refused with the listening socket, not held).
    const later = rawConnection(url);
    connections.push(later);
    later.socket.write(`GET /health HTTP/1.1\r\nHost: ${url.slice(7)}\r\nConnection: close\r\n\r\n`);
    await waitFor('an answer on a connection made after the silent one', () => responsesIn(later.received).length > 0 || later.closed);
    assert.equal(responsesIn(later.received)[0]?.status, 200, `GET /health: ${later.received}`);
    assert.equal(silent.closed, false, 'before shutdown the server keeps a connection that has not sent a request yet');

    up.child.kill('SIGTERM');
    const signalled = Date.now();
    await waitFor('the server to close the connection on which nothing was sent', () => silent.closed, STOP_MS);
    await waitFor(
      `smartem up to exit within ${STOP_MS / 1000} s of SIGTERM with a silent connection open`,
      () => exited.code !== undefined,
      Math.max(0, STOP_MS - (Date.now() - signalled)),
    );
    assert.equal(exited.code, 0, up.stderr());
  } finally {
    for (const c of connections) c.socket.destroy();
    if (up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGKILL');
    await within('smartem up to end', up.exit, STOP_MS).catch(() => {});
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
