import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmartEmClient } from './client.ts';
import { ApiError, ApiUnreachableError } from './errors.ts';
import { backoffDelay } from './backoff.ts';
import { HttpTransport } from './http.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
const seen: { method: string; url: string; auth?: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
    handler(req, body, res);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
after(() => server.close());

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

test('retries 503 with backoff and returns the eventual answer, sending the bearer token', async () => {
  seen.length = 0;
  let calls = 0;
  handler = (_req, _body, res) => (++calls < 3 ? json(res, 503, { detail: 'busy' }) : json(res, 200, { status: 'ok' }));
  const retried: number[] = [];
  const client = new SmartEmClient({ baseUrl, token: 't0k', backoff: { baseMs: 1, maxMs: 5 }, onRetry: (i) => retried.push(i.attempt) });
  assert.deepEqual(await client.getStatus(), { status: 'ok' });
  assert.deepEqual(retried, [1, 2]);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((s) => s.url === '/status' && s.auth === 'Bearer t0k'));
});

test('401 is not retried and is reported as an auth error naming the route', async () => {
  seen.length = 0;
  handler = (_req, _body, res) => json(res, 401, { detail: 'bad token' });
  const client = new SmartEmClient({ baseUrl, backoff: { baseMs: 1 } });
  await assert.rejects(client.getStatus(), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.isAuthError, true);
    assert.match(err.message, /HTTP 401 for GET .*\/status: bad token/);
    return true;
  });
  assert.equal(seen.length, 1);
});

test('a hanging backend times out and, after the retries, is reported unreachable', async () => {
  seen.length = 0;
  handler = () => {}; // never answers
  const client = new SmartEmClient({ baseUrl, timeoutMs: 50, retries: 1, backoff: { baseMs: 1 } });
  await assert.rejects(client.getStatus(), ApiUnreachableError);
  assert.equal(seen.length, 2);
});

test("the caller's abort during a backoff wait ends the request with its reason, without another attempt", async () => {
  seen.length = 0;
  handler = (_req, _body, res) => json(res, 503, { detail: 'busy' });
  const controller = new AbortController();
  const http = new HttpTransport({
    baseUrl,
    backoff: { baseMs: 60_000, random: () => 1 },
    onRetry: () => controller.abort(new Error('stopping')),
  });
  await assert.rejects(http.request('GET', 'status', { signal: controller.signal }), /stopping/);
  assert.equal(seen.length, 1);
});

test('batch sends {items}, splits above 5,000 items and returns the results in order', async () => {
  seen.length = 0;
  handler = (_req, body, res) => {
    const { items } = JSON.parse(body) as { items: { uuid: string }[] };
    json(res, 200, { results: items.map((i) => ({ requested_uuid: i.uuid, uuid: i.uuid, outcome: 'created' })) });
  };
  const client = new SmartEmClient({ baseUrl });
  const items = Array.from({ length: 5001 }, (_, i) => ({ uuid: `u${i}`, foilhole_id: `${i}`, foilhole_uuid: 'fh' }));
  const results = await client.batch('micrograph', items);
  assert.equal(results.length, 5001);
  assert.equal(results[5000].uuid, 'u5000');
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ['POST /batch/micrographs', 'POST /batch/micrographs'],
  );
});

test('a batch answer with the wrong number of results is an error, not a silent partial ack', async () => {
  handler = (_req, _body, res) => json(res, 200, { results: [] });
  const client = new SmartEmClient({ baseUrl });
  await assert.rejects(client.batch('grid', [{ uuid: 'g', name: 'n', acquisition_uuid: 'a' }]), /expected 1 results/);
});

test('backoff delay grows exponentially, is capped, and is jittered in [0, ceiling]', () => {
  assert.equal(backoffDelay(0, { baseMs: 100, random: () => 1 }), 100);
  assert.equal(backoffDelay(3, { baseMs: 100, random: () => 1 }), 800);
  assert.equal(backoffDelay(20, { baseMs: 100, maxMs: 5000, random: () => 1 }), 5000);
  assert.equal(backoffDelay(3, { baseMs: 100, random: () => 0 }), 0);
});
