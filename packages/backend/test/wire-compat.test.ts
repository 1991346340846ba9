/**
 * Wire compatibility with 0.1 (`fixtures/wire-0.1/`, captured before the repository/service refactor and the entity
 * contract rewrite): (a) the OpenAPI document the API serves describes the same operations and schemas as 0.1's, and
 * (b) replaying 0.1's 47 exchanges against a fresh API gives the same status, response body and outbox events, on
 * PGlite and, when `DATABASE_URL` is set, PostgreSQL.
 *
 * Nothing is normalised in the replay: none of the recorded exchanges carries a time-dependent value (`/status` and
 * `/health`, whose `timestamp` and `uptime_seconds` change with the clock, are not among them; every date-time in the
 * bodies is one the client sent). Outbox events are compared as payloads, in the order they were written.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NO_NUL_PATTERN } from '@smartem/common';
import { testDatabaseKinds } from './support/databases.ts';
import { startTestApi, type TestApi } from './support/app.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/wire-0.1/${name}`, import.meta.url), 'utf8'));

interface Exchange {
  request: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; body?: unknown };
  status: number;
  response?: unknown;
  events: Array<Record<string, unknown>>;
}

/** Prose only: operation summaries and descriptions, tags, and every `description` text (schemas, parameters, responses). */
const PROSE = new Set(['summary', 'description', 'tags']);

function withoutProse(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProse);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !PROSE.has(key))
      .map(([key, v]) => [key, withoutProse(v)]),
  );
}

/**
 * The one intended difference: 0.1's document listed every field of the processing bodies as optional although the API
 * answered 422 without the event's own field (`total_motion` for motion correction, …; see processing.test). The
 * schemas now say so with `required`, which this removes from those four request bodies before comparing.
 */
const PROCESSING_BODIES = ['motion_correction', 'ctf', 'particle_picking', 'particle_selection'].map(
  (r) => `/micrographs/{micrograph_uuid}/${r}`,
);

function withoutProcessingRequired(path: string, operations: unknown): unknown {
  if (!PROCESSING_BODIES.includes(path)) return operations;
  const copy = structuredClone(operations) as {
    post?: { requestBody?: { content?: Record<string, { schema?: { required?: unknown } }> } };
  };
  const schema = copy.post?.requestBody?.content?.['application/json']?.schema;
  if (schema) delete schema.required;
  return copy;
}

/**
 * The second intended difference: the column limits (`@smartem/common` limits.ts). Lengths, int4 ranges, the no-NUL and
 * in-range date-time patterns, and enum query filters refuse only values 0.1 could not store either (its database
 * answered them with a 500); the recorded exchanges below show every request 0.1 accepted still is. This removes those
 * keywords, on both sides, before comparing.
 */
const LIMIT_KEYWORDS = new Set(['maxLength', 'minLength', 'minimum', 'maximum']);
const isLimitPattern = (pattern: unknown) => pattern === NO_NUL_PATTERN || (typeof pattern === 'string' && pattern.includes('\\d{4}-'));

function withoutLimits(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLimits);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const inQuery = object.in === 'query';
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key, v]) => !LIMIT_KEYWORDS.has(key) && !(key === 'pattern' && isLimitPattern(v)))
      .map(([key, v]) => {
        if (inQuery && key === 'schema' && v && typeof v === 'object') {
          const { enum: _enum, ...rest } = v as Record<string, unknown>;
          return [key, withoutLimits(rest)];
        }
        return [key, withoutLimits(v)];
      }),
  );
}

/**
 * The third intended difference: optional fields added to each square of `GET /grids/{uuid}/suggested_squares` (the
 * estimated share of good holes with its interval, the observed share). Every 0.1 field is unchanged; this removes
 * only these, from the served document and the replayed responses, before comparing.
 */
const SUGGESTED_SQUARES = '/grids/{grid_uuid}/suggested_squares';
const ADDED_SQUARE_FIELDS = ['p_good_mean', 'p_good_low', 'p_good_high', 'observed_good_share', 'observed_holes'];

function withoutAddedSquareFields(squares: unknown): void {
  for (const square of squares as Array<Record<string, unknown>>) for (const field of ADDED_SQUARE_FIELDS) delete square[field];
}

function withoutSquareEstimates(path: string, operations: unknown): unknown {
  if (path !== SUGGESTED_SQUARES) return operations;
  const copy = structuredClone(operations) as {
    get: {
      responses: Record<
        string,
        { content?: Record<string, { schema?: { properties?: { squares?: { items: { properties: unknown } } } } }> }
      >;
    };
  };
  const items = copy.get.responses['200'].content?.['application/json']?.schema?.properties?.squares?.items;
  if (items) withoutAddedSquareFields([items.properties]);
  return copy;
}

describe('wire 0.1: OpenAPI', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi('pglite');
  });
  after(async () => {
    await api?.close();
  });

  test('every path and schema of 0.1 is served unchanged once summaries, descriptions and tags are ignored', async () => {
    const baseline = fixture('openapi.json') as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    const served = (await api.call('GET', '/docs/json')).json as typeof baseline;
    // Extensions are additive: new paths and schemas may appear; none of 0.1's may change or go.
    for (const path of Object.keys(baseline.paths)) {
      assert.ok(path in served.paths, `path ${path} is served`);
      assert.deepEqual(
        withoutLimits(withoutProse(withoutProcessingRequired(path, withoutSquareEstimates(path, served.paths[path])))),
        withoutLimits(withoutProse(baseline.paths[path])),
        `path ${path}`,
      );
    }
    for (const name of Object.keys(baseline.components.schemas)) {
      assert.deepEqual(
        withoutLimits(withoutProse(served.components.schemas[name])),
        withoutLimits(withoutProse(baseline.components.schemas[name])),
        `schema ${name}`,
      );
    }
  });
});

for (const kind of testDatabaseKinds()) {
  describe(`wire 0.1: the recorded exchanges replayed on ${kind}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi(kind);
    });
    after(async () => {
      await api?.close();
    });

    test('every exchange gives the recorded status, response body and outbox events', async () => {
      const exchanges = fixture('exchanges.json') as Exchange[];
      assert.equal(exchanges.length, 47);
      for (const [i, exchange] of exchanges.entries()) {
        const { method, url, body } = exchange.request;
        const what = `#${i} ${method} ${url}`;
        const got = await api.call(method, url, body);
        assert.equal(got.status, exchange.status, `${what}: status (body ${got.raw.body})`);
        if (/\/suggested_squares(\?|$)/.test(url) && got.status === 200) withoutAddedSquareFields(got.json.squares);
        assert.deepEqual(got.json, exchange.response, `${what}: response body`);
        assert.deepEqual(await api.newEvents(), exchange.events, `${what}: outbox events`);
      }
    });
  });
}
