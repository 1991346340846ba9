// Preview images end to end: `smartem agent watch` (a real process) uploads the JPEGs the simulator writes beside its
// manifests to a real `smartem up`, which serves them by entity id with an ETag; restarting the agent sends nothing
// again; paths that try to leave the image directory are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartEmClient } from '@smartem/client';
import { jpegSize, type ImageKind } from '@smartem/common';
import { startAgent, startBackend, type Backend } from './support/processes.ts';
import { playWithHooks, SMALL_VISIT, tempDir } from './support/scenario.ts';
import { waitForVisit, expectedFromVisit } from './support/visit-check.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;

before(async () => {
  tmp = await tempDir('smartem-watch-images-');
  backend = await startBackend(join(tmp.path, 'db'));
});
after(async () => {
  await backend?.stop();
  await tmp?.remove();
});

const image = (kind: ImageKind, uuid: string, init?: RequestInit) => fetch(`${backend.url}/images/${kind}/${uuid}`, init);

/** The status of a PUT announcing `length` bytes, read before any byte of the body is sent. */
function statusOfAnnouncedPut(path: string, length: number): Promise<number> {
  const { hostname, port } = new URL(backend.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`PUT ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: image/jpeg\r\ncontent-length: ${length}\r\n\r\n`),
    );
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.setTimeout(30_000, () => reject(new Error('no answer to an oversized PUT')));
  });
}

/** Uploaded lines in the agent's image log. */
async function logged(state: string): Promise<number> {
  const text = await readFile(join(state, 'images.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

test('the agent uploads atlas tile, square, hole and micrograph previews; the backend serves them with caching headers', async () => {
  const dir = join(tmp.path, 'visit');
  const state = join(tmp.path, 'state');
  const { summary } = await playWithHooks({ out: dir, seed: 21, fast: true, ...SMALL_VISIT, grids: 1 });
  const agent = startAgent(dir, backend.url, state);
  await waitForVisit(backend.url, expectedFromVisit(summary), dir);

  const client = new SmartEmClient({ baseUrl: backend.url, timeoutMs: 30_000 });
  const [tiles, squares, holes, micrographs] = await Promise.all([
    client.list('atlastile'),
    client.list('gridsquare'),
    client.list('foilhole'),
    client.list('micrograph'),
  ]);
  // Collected squares have an image; every collected hole has foil hole images; every micrograph a thumbnail.
  const imaged = squares.filter((s) => s.acquisition_datetime);
  const holesWithImages = holes.filter((h) => micrographs.some((m) => m.foilhole_uuid === h.uuid));
  const expected = tiles.length + imaged.length + holesWithImages.length + micrographs.length;
  assert.ok(tiles.length > 0 && imaged.length > 0 && micrographs.length > 0, 'the visit has tiles, imaged squares and micrographs');
  const deadline = Date.now() + 120_000;
  while ((await logged(state)) < expected && Date.now() < deadline) await sleep(200);
  assert.equal(await logged(state), expected, `every preview uploaded once\n${agent.output().slice(-3000)}`);

  const checks: Array<[ImageKind, string]> = [
    ['atlastile', tiles[0]!.uuid],
    ['gridsquare', imaged[0]!.uuid],
    ['foilhole', holesWithImages[0]!.uuid],
    ['micrograph', micrographs[0]!.uuid],
  ];
  for (const [kind, uuid] of checks) {
    const res = await image(kind, uuid);
    assert.equal(res.status, 200, `${kind} ${uuid}`);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const etag = res.headers.get('etag');
    assert.match(etag ?? '', /^"[\w-]+"$/);
    assert.ok(jpegSize(new Uint8Array(await res.arrayBuffer())), `${kind}: a JPEG with a frame header`);
    const again = await image(kind, uuid, { headers: { 'if-none-match': etag! } });
    assert.equal(again.status, 304, `${kind}: revalidation answers 304`);
  }
  // A square image says which pixels the holes are given in (the readout area); a tile its atlas size.
  const square = await image('gridsquare', imaged[0]!.uuid);
  assert.equal(square.headers.get('x-frame-width'), '2880');
  assert.equal(square.headers.get('x-frame-height'), '2046');
  const tile = await image('atlastile', tiles[0]!.uuid);
  assert.equal(tile.headers.get('x-frame-width'), String(tiles[0]!.size_x));

  // A restart uploads nothing again.
  await agent.stop();
  const before = await logged(state);
  const restarted = startAgent(dir, backend.url, state);
  while (!restarted.output().includes('caught up')) {
    assert.equal(restarted.proc.exitCode, null, restarted.output());
    await sleep(100);
  }
  await sleep(1500);
  await restarted.stop();
  assert.equal(await logged(state), before, 'nothing uploaded twice');
  assert.match(restarted.output(), /image log replayed/);
});

test('image routes: ids only, JPEG only, size-capped, missing images and entities are 404', async () => {
  const client = new SmartEmClient({ baseUrl: backend.url, timeoutMs: 30_000 });
  const square = (await client.list('gridsquare')).find((s) => s.acquisition_datetime);
  assert.ok(square, 'an imaged square from the first test');
  for (const path of [
    '/images/gridsquare/..%2F..%2Fdb%2FPG_VERSION',
    '/images/gridsquare/..',
    '/images/gridsquare/a.b',
    '/images/gridsquare/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/images/..%2Fgridsquare/x',
    '/images/gridsquare/../../etc/passwd',
    '/images/grid/whatever',
  ]) {
    const res = await fetch(backend.url + path);
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json', path);
  }
  const put = (path: string, body: Uint8Array | string, type = 'image/jpeg') =>
    fetch(backend.url + path, { method: 'PUT', body, headers: { 'content-type': type } });
  const stored = await image('gridsquare', square.uuid);
  assert.equal(stored.status, 200);
  const jpeg = await stored.arrayBuffer();
  let res = await put(`/images/gridsquare/${square.uuid}`, 'not a jpeg at all');
  assert.equal(res.status, 415);
  assert.match(((await res.json()) as { detail: string }).detail, /body: not a JPEG/);
  res = await put(`/images/gridsquare/${square.uuid}`, new Uint8Array(jpeg), 'text/plain');
  assert.equal(res.status, 415, 'only image/jpeg bodies');
  assert.equal(await statusOfAnnouncedPut(`/images/gridsquare/${square.uuid}`, 5 * 1024 * 1024), 413, 'over the size cap');
  res = await put('/images/gridsquare/00000000-0000-4000-8000-000000000000', new Uint8Array(jpeg));
  assert.equal(res.status, 404, 'no such square');
  res = await put('/images/gridsquare/..%2Fx', new Uint8Array(jpeg));
  assert.equal(res.status, 400);
  res = await put(`/images/gridsquare/${square.uuid}?frame_width=0`, new Uint8Array(jpeg));
  assert.equal(res.status, 400);
  res = await put(`/images/gridsquare/${square.uuid}?frame_width=2880&frame_height=2046`, new Uint8Array(jpeg));
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { changed: boolean }).changed, false, 'the same bytes change nothing');
  res = await image('foilhole', '00000000-0000-4000-8000-000000000000');
  assert.equal(res.status, 404);
});
