/**
 * `GET /grids/{uuid}/overview` over real HTTP, on PGlite and PostgreSQL: the same squares as `/collection`, the CTF
 * histogram and the cumulative counts over time agreeing with every result `/collection` lists, and a kept overview
 * replaced once a new micrograph or result is written (the live channel's notification drops it); the page's compact
 * ranking holding the ranking of `suggested_squares`; 404 for no grid.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createLogger, type AtlasRanking, type GridCollection, type GridOverview, type SuggestedSquares } from '@smartem/common';
import { buildApp, type App } from '../src/http/app.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';

const log = createLogger({ level: 'silent', pretty: false });
const LIMIT = 6; // the default SMARTEM_CTF_MAX_RESOLUTION

for (const kind of testDatabaseKinds()) {
  describe(`dashboard overview on ${kind}`, () => {
    let db: TestDatabase;
    let app: App;
    let url: string;
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok || method === 'GET', `${method} ${path}: ${res.status} ${text}`);
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const overview = async () => (await send('GET', '/grids/grid-a/overview')).body as GridOverview;

    before(async () => {
      db = await openTestDatabase(kind);
      app = await buildApp({ db: db.handle.db, log, listen: db.handle.listen });
      await app.listen({ host: '127.0.0.1', port: 0 });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      await send('POST', '/batch/acquisitions', { items: [{ uuid: 'acq', name: 'S' }] });
      await send('POST', '/batch/grids', { items: [{ uuid: 'grid-a', name: 'Grid A', acquisition_uuid: 'acq' }] });
      await send('POST', '/batch/gridsquares', {
        items: ['1', '2', '3'].map((id) => ({
          uuid: `sq-${id}`,
          gridsquare_id: id,
          grid_uuid: 'grid-a',
          center_x: 10 * Number(id),
          center_y: 5,
        })),
      });
      await send('POST', '/batch/foilholes', {
        items: ['1', '2', '3', '4'].map((id) => ({
          uuid: `fh-${id}`,
          foilhole_id: id,
          gridsquare_uuid: id === '4' ? 'sq-2' : 'sq-1',
          gridsquare_id: id === '4' ? '2' : '1',
        })),
      });
      // 30 micrographs over an hour, CTF from 2 Å up (some beyond the histogram's last edge), one without a result.
      const micrographs = Array.from({ length: 31 }, (_, k) => ({
        uuid: `m-${k}`,
        micrograph_id: `m${k}`,
        foilhole_uuid: `fh-${(k % 4) + 1}`,
        foilhole_id: String((k % 4) + 1),
        acquisition_datetime: new Date(Date.UTC(2026, 0, 1, 8, 2 * k)).toISOString(),
        ...(k < 30 ? { ctf_max_resolution_estimate: 2 + k * 0.45 } : {}),
      }));
      await send('POST', '/batch/micrographs', { items: micrographs });
    });
    after(async () => {
      await app?.close();
      await db?.drop();
    });

    test('the squares of /collection, and plots that count every CTF result it lists', async () => {
      const o = await overview();
      const c = (await send('GET', '/grids/grid-a/collection')).body as GridCollection;
      assert.equal(o.name, 'Grid A');
      assert.equal(o.ctf_max_resolution, LIMIT);
      const byUuid = (xs: GridCollection['squares']) => [...xs].sort((a, b) => a.gridsquare_uuid.localeCompare(b.gridsquare_uuid));
      assert.deepEqual(byUuid(o.squares), byUuid(c.squares));
      assert.deepEqual(
        byUuid(o.squares).map((s) => [s.foilholes, s.micrographs, s.with_ctf]),
        [
          [3, 24, 23],
          [1, 7, 7],
          [0, 0, 0],
        ],
      );

      const { bin_width, counts } = o.ctf_histogram;
      const expected = new Array<number>(counts.length).fill(0);
      for (const v of c.micrographs.ctf) expected[Math.min(counts.length - 1, Math.floor(v / bin_width))]++;
      assert.deepEqual(counts, expected);
      assert.equal((counts.length - 1) * bin_width, Math.max(2 * LIMIT, 10), 'the last bin starts at twice the limit');
      assert.ok(counts.at(-1)! > 0, 'results above the last edge are counted in it');

      const { t, micrographs, good } = o.over_time;
      assert.equal(micrographs.at(-1), 30);
      assert.equal(good.at(-1), c.micrographs.ctf.filter((v) => v <= LIMIT).length);
      assert.equal(t.at(-1), c.micrographs.t.at(-1));
      for (let k = 0; k < t.length; k++) {
        const upTo = c.micrographs.t.filter((x) => x <= t[k]!).length;
        assert.equal(micrographs[k], upTo, `cumulative count at ${new Date(t[k]!).toISOString()}`);
        if (k > 0) assert.ok(t[k]! > t[k - 1]!, 'ascending times');
      }
    });

    test('a kept overview is replaced once a micrograph or a result is written', async () => {
      const first = await overview();
      assert.deepEqual(await overview(), first);
      const withCtf = () => first.squares.reduce((n, s) => n + s.with_ctf, 0);
      await send('POST', '/micrographs/m-30/ctf', { ctf_max_resolution_estimate: 3 });
      const after = await waitFor(async () => {
        const o = await overview();
        return o.squares.reduce((n, s) => n + s.with_ctf, 0) === withCtf() + 1 ? o : undefined;
      });
      assert.equal(after.over_time.micrographs.at(-1), 31);
      await send('POST', '/batch/micrographs', {
        items: [{ uuid: 'm-new', micrograph_id: 'new', foilhole_uuid: 'fh-4', foilhole_id: '4' }],
      });
      await waitFor(async () =>
        (await overview()).squares.find((s) => s.gridsquare_uuid === 'sq-2')!.micrographs === 8 ? true : undefined,
      );
    });

    test('the compact ranking is suggested_squares, field by field', async () => {
      const full = (await send('GET', '/grids/grid-a/suggested_squares')).body as SuggestedSquares;
      const compact = (await send('GET', '/grids/grid-a/overview/ranking')).body as AtlasRanking;
      assert.equal(compact.grid_uuid, 'grid-a');
      assert.equal(compact.authority, full.authority);
      const c = compact.squares;
      assert.deepEqual(
        c.gridsquare_uuid,
        full.squares.map((s) => s.gridsquare_uuid),
        'in rank order',
      );
      assert.deepEqual(
        c.gridsquare_id,
        full.squares.map((s) => s.gridsquare_id),
      );
      assert.deepEqual(
        c.collect,
        full.squares.map((s) => (s.decision === 'collect' ? 1 : 0)),
      );
      assert.deepEqual(
        c.remaining_holes,
        full.squares.map((s) => s.remaining_holes),
      );
      const near = (xs: Array<number | null>, ys: Array<number | undefined>, field: string) => {
        assert.equal(xs.length, ys.length, field);
        xs.forEach((x, k) => {
          if (ys[k] === undefined) assert.equal(x, null, `${field}[${k}]`);
          else assert.ok(x !== null && Math.abs(x - ys[k]!) <= 5e-5, `${field}[${k}]: ${x} for ${ys[k]}`);
        });
      };
      for (const field of ['expected_good_holes', 'p_good_mean', 'p_good_low', 'p_good_high', 'observed_good_share'] as const) {
        near(
          c[field],
          full.squares.map((s) => s[field]),
          field,
        );
      }
      assert.ok(
        c.p_good_mean.some((v) => v !== null),
        'estimates to compare',
      );
    });

    test("EPU's default order: none until stored, then in the overview (the kept one dropped), replaced whole by the next", async () => {
      assert.equal((await overview()).epu_default_order, null);
      const t0 = Date.UTC(2026, 0, 1, 8);
      const points = [0, 1, 2, 3].map((k) => ({ t: t0 + k * 600_000, beam_time: k * 2.5, good: k * 3 }));
      const stored = await send('PUT', '/grids/grid-a/epu_default_order', { points });
      assert.deepEqual(stored.body, { grid_uuid: 'grid-a', points: 4 });
      const expected = { t: points.map((p) => p.t), beam_time: points.map((p) => p.beam_time), good: points.map((p) => p.good) };
      await waitFor(async () => ((await overview()).epu_default_order?.t.length === 4 ? true : undefined));
      assert.deepEqual((await overview()).epu_default_order, expected);
      await send('PUT', '/grids/grid-a/epu_default_order', { points: points.slice(0, 2) });
      const replaced = await waitFor(async () => {
        const o = await overview();
        return o.epu_default_order?.t.length === 2 ? o : undefined;
      });
      assert.deepEqual(replaced.epu_default_order?.good, [0, 3]);
      // A refused curve leaves the stored one as it was.
      assert.equal(
        (
          await fetch(`${url}/grids/grid-a/epu_default_order`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ points: [points[1], points[0]] }),
          })
        ).status,
        422,
      );
      assert.deepEqual((await overview()).epu_default_order?.good, [0, 3]);
    });

    test('404 naming an unknown grid', async () => {
      const res = await send('GET', '/grids/no-such-grid/overview');
      assert.equal(res.status, 404);
      assert.match(res.body.detail, /no-such-grid/);
      const ranking = await send('GET', '/grids/no-such-grid/overview/ranking');
      assert.equal(ranking.status, 404);
      assert.match(ranking.body.detail, /no-such-grid/);
    });
  });
}

async function waitFor<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for the overview to change');
    await new Promise((r) => setTimeout(r, 50));
  }
}
