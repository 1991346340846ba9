/**
 * Every bad request is a clean 4xx problem-details answer naming what was wrong, never a 5xx, and leaves the server
 * healthy: a table of bad requests (single routes, query strings, path parameters, fastify's own errors, and batch
 * items next to a good item of the same request), run on PGlite and (when DATABASE_URL is set) PostgreSQL.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { ID_MAX_LENGTH, INT4_MAX, INT4_MIN, KINDS, type FieldSpec, type Kind } from '@smartem/common';
import * as schema from '../src/db/schema.ts';
import { testDatabaseKinds } from './support/databases.ts';
import { startTestApi, type TestApi } from './support/app.ts';
import { loggableError } from '../src/http/errors.ts';
import { issueInstructions, requireSession } from '../src/services/agents/instructions.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

interface Row {
  name: string;
  method: Method;
  url: string;
  /** A JSON body (serialised here), or `raw` sent as it is with `contentType`. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  /** What the problem must name: a field in `errors` or, failing that, a substring of `detail`. */
  names: string;
  /** Headers the answer must carry. */
  headers?: Record<string, RegExp>;
}

/** A batch of a good item (index 0) and a bad one (index 1): the bad one is rejected alone, naming `items/1/<field>`. */
interface BatchRow {
  name: string;
  route: string;
  good: Record<string, unknown>;
  bad: unknown;
  status: number;
  field: string;
}

const long = (n: number) => 'x'.repeat(n);
const MB = 1024 * 1024;
const square = { uuid: 'gs', gridsquare_id: '1', grid_uuid: 'grid' };
const position = { center_x: 1, center_y: 2, size_width: 3, size_height: 4 };

const ROWS: Row[] = [
  // Impossible date-times that used to pass the format check.
  {
    name: 'month 13, day 45, 99:99:99',
    method: 'POST',
    url: '/acquisitions',
    body: { uuid: 'd1', start_time: '2024-13-45T99:99:99' },
    status: 422,
    names: 'start_time',
  },
  {
    name: 'February 30th',
    method: 'POST',
    url: '/acquisitions',
    body: { uuid: 'd2', start_time: '2024-02-30T10:00:00' },
    status: 422,
    names: 'start_time',
  },
  {
    name: 'February 29th of a common year',
    method: 'PUT',
    url: '/acquisitions/acq',
    body: { end_time: '2023-02-29T10:00:00Z' },
    status: 422,
    names: 'end_time',
  },
  {
    name: 'year 0000',
    method: 'PUT',
    url: '/grids/grid',
    body: { scan_start_time: '0000-01-01T00:00:00Z' },
    status: 422,
    names: 'scan_start_time',
  },
  {
    name: 'offset +99:00',
    method: 'PUT',
    url: '/grids/grid',
    body: { scan_end_time: '2024-01-01T00:00:00+99:00' },
    status: 422,
    names: 'scan_end_time',
  },
  {
    name: 'hour 24',
    method: 'PUT',
    url: '/micrographs/mg',
    body: { acquisition_datetime: '2024-01-01T24:00:00' },
    status: 422,
    names: 'acquisition_datetime',
  },
  // Integers beyond the int4 column, floats and strings where integers go.
  {
    name: 'center_x 2^40 on a tile position',
    method: 'POST',
    url: '/atlas-tiles/tile/gridsquares/gs',
    body: { ...position, center_x: 2 ** 40 },
    status: 422,
    names: 'center_x',
  },
  { name: 'center_x 2^40 on a square', method: 'PUT', url: '/gridsquares/gs', body: { center_x: 2 ** 40 }, status: 422, names: 'center_x' },
  {
    name: 'int4 minimum - 1',
    method: 'PUT',
    url: '/gridsquares/gs',
    body: { size_width: -(2 ** 31) - 1 },
    status: 422,
    names: 'size_width',
  },
  { name: 'float where an integer goes', method: 'PUT', url: '/gridsquares/gs', body: { center_y: 1.5 }, status: 422, names: 'center_y' },
  { name: 'string where a number goes', method: 'PUT', url: '/gridsquares/gs', body: { rotation: 'left' }, status: 422, names: 'rotation' },
  {
    name: 'number past double range (1e400)',
    method: 'PUT',
    url: '/gridsquares/gs',
    raw: '{"defocus": 1e400}',
    contentType: 'application/json',
    status: 422,
    names: 'defocus',
  },
  {
    name: 'boolean as a string',
    method: 'PUT',
    url: '/foilholes/fh',
    body: { is_near_grid_bar: 'yes' },
    status: 422,
    names: 'is_near_grid_bar',
  },
  {
    name: 'null for a non-null field',
    method: 'PUT',
    url: '/foilholes/fh',
    body: { is_near_grid_bar: null },
    status: 422,
    names: 'is_near_grid_bar',
  },
  {
    name: 'a particle count past int4',
    method: 'POST',
    url: '/micrographs/mg/particle_picking',
    body: { number_of_particles_picked: 2 ** 40 },
    status: 422,
    names: 'number_of_particles_picked',
  },
  {
    name: 'a negative CTF resolution',
    method: 'POST',
    url: '/micrographs/mg/ctf',
    body: { ctf_max_resolution_estimate: -1 },
    status: 422,
    names: 'ctf_max_resolution_estimate',
  },
  {
    name: 'a tile of an atlas with position_x 2^40',
    method: 'POST',
    url: '/grids/grid2/atlas',
    body: { uuid: 'atl2', name: 'A', grid_uuid: 'grid2', tiles: [{ uuid: 't2', position_x: 2 ** 40 }] },
    status: 422,
    names: 'tiles/0/position_x',
  },
  // NUL characters in bodies, path parameters and query strings.
  { name: 'NUL in a created uuid', method: 'POST', url: '/acquisitions', body: { uuid: 'a\u0000b' }, status: 422, names: 'uuid' },
  { name: 'NUL in an updated name', method: 'PUT', url: '/acquisitions/acq', body: { name: 'a\u0000' }, status: 422, names: 'name' },
  { name: 'NUL in a path parameter (GET)', method: 'GET', url: '/acquisitions/a%00b', status: 400, names: 'acquisition_uuid' },
  { name: 'NUL in a path parameter (DELETE)', method: 'DELETE', url: '/micrographs/%00', status: 400, names: 'micrograph_uuid' },
  { name: 'NUL in a path parameter (decisions)', method: 'GET', url: '/grids/%00/suggested_squares', status: 400, names: 'grid_uuid' },
  { name: 'NUL in a path parameter (dashboard)', method: 'GET', url: '/gridsquares/%00/collection', status: 400, names: 'gridsquare_uuid' },
  {
    name: 'NUL in a path parameter (processing)',
    method: 'POST',
    url: '/micrographs/%00/ctf',
    body: { ctf_max_resolution_estimate: 3 },
    status: 400,
    names: 'micrograph_uuid',
  },
  { name: 'NUL in a query filter', method: 'GET', url: '/grids?acquisition_uuid=a%00', status: 400, names: 'acquisition_uuid' },
  { name: 'NUL in an agent id', method: 'GET', url: '/agent/a%00/session/s', status: 400, names: 'agent_id' },
  {
    name: 'NUL in an agent session description',
    method: 'PUT',
    url: '/agent/ag/session/s2',
    body: { acquisition_uuid: 'acq', mode: 'auto', description: 'a\u0000' },
    status: 422,
    names: 'description',
  },
  // Enums in query strings and bodies.
  { name: 'a status outside the enum', method: 'GET', url: '/grids?status=flying', status: 400, names: 'status' },
  { name: 'a status outside the enum (micrographs)', method: 'GET', url: '/micrographs?status=%00', status: 400, names: 'status' },
  { name: 'two statuses (an array)', method: 'GET', url: '/grids?status=none&status=none', status: 400, names: 'status' },
  { name: 'a status outside the enum (children)', method: 'GET', url: '/grids/grid/gridsquares?status=x', status: 400, names: 'status' },
  {
    name: 'a status outside the enum in a body',
    method: 'PUT',
    url: '/micrographs/mg',
    body: { status: 'done' },
    status: 422,
    names: 'status',
  },
  {
    name: 'an unknown decision authority',
    method: 'PUT',
    url: '/grids/grid/decision_authority',
    body: { authority: 'oracle' },
    status: 422,
    names: 'authority',
  },
  // EPU's default order for comparison: a cumulative curve, each point complete.
  {
    name: "EPU's default order without points",
    method: 'PUT',
    url: '/grids/grid/epu_default_order',
    body: {},
    status: 422,
    names: 'points',
  },
  {
    name: "EPU's default order with a negative count",
    method: 'PUT',
    url: '/grids/grid/epu_default_order',
    body: { points: [{ t: 1, beam_time: 0, good: -1 }] },
    status: 422,
    names: 'points/0/good',
  },
  {
    name: "EPU's default order point without a time",
    method: 'PUT',
    url: '/grids/grid/epu_default_order',
    body: {
      points: [
        { t: 1, beam_time: 0, good: 0 },
        { beam_time: 1, good: 0 },
      ],
    },
    status: 422,
    names: 'points/1/t',
  },
  {
    name: "EPU's default order going back in time",
    method: 'PUT',
    url: '/grids/grid/epu_default_order',
    body: {
      points: [
        { t: 5, beam_time: 0, good: 0 },
        { t: 4, beam_time: 1, good: 1 },
      ],
    },
    status: 422,
    names: 'points/1/t',
  },
  {
    name: "EPU's default order losing good micrographs",
    method: 'PUT',
    url: '/grids/grid/epu_default_order',
    body: {
      points: [
        { t: 5, beam_time: 0, good: 2 },
        { t: 6, beam_time: 1, good: 1 },
      ],
    },
    status: 422,
    names: 'points/1/good',
  },
  {
    name: "EPU's default order on no grid",
    method: 'PUT',
    url: '/grids/no-such-grid/epu_default_order',
    body: { points: [] },
    status: 404,
    names: 'no-such-grid',
  },
  {
    name: 'an unknown authority in the query',
    method: 'GET',
    url: '/grids/grid/suggested_squares?authority=oracle',
    status: 400,
    names: 'authority',
  },
  {
    name: 'an unknown instruction status filter',
    method: 'GET',
    url: '/agent/ag/session/s/instructions?status=lost',
    status: 400,
    names: 'status',
  },
  // Wrong types in query strings.
  { name: 'limit not a number', method: 'GET', url: '/acquisitions?limit=ten', status: 400, names: 'limit' },
  { name: 'negative limit', method: 'GET', url: '/acquisitions?limit=-1', status: 400, names: 'limit' },
  { name: 'fractional offset', method: 'GET', url: '/acquisitions?offset=1.5', status: 400, names: 'offset' },
  { name: 'dead-letter limit 0', method: 'GET', url: '/dead-letters?limit=0', status: 400, names: 'limit' },
  // Strings longer than their columns (and than a btree index entry).
  {
    name: 'a 3,000-character name (indexed)',
    method: 'POST',
    url: '/acquisitions',
    body: { uuid: 'l1', name: long(3000) },
    status: 422,
    names: 'name',
  },
  {
    name: 'a 3,000-character natural id',
    method: 'POST',
    url: '/grids/grid/gridsquares',
    body: { uuid: 'l2', gridsquare_id: long(3000) },
    status: 422,
    names: 'gridsquare_id',
  },
  { name: 'a 1 MB path', method: 'PUT', url: '/acquisitions/acq', body: { storage_path: long(MB) }, status: 422, names: 'storage_path' },
  { name: 'a 50 MB name', method: 'POST', url: '/acquisitions', body: { uuid: 'l3', name: long(50 * MB) }, status: 422, names: 'name' },
  {
    name: 'a uuid one past the identifier length',
    method: 'POST',
    url: '/acquisitions',
    body: { uuid: long(ID_MAX_LENGTH + 1) },
    status: 422,
    names: 'uuid',
  },
  {
    name: 'a path parameter past the identifier length',
    method: 'GET',
    url: `/acquisitions/${long(ID_MAX_LENGTH + 1)}`,
    status: 400,
    names: 'acquisition_uuid',
  },
  {
    name: 'a path parameter past the router limit (414)',
    method: 'GET',
    url: `/acquisitions/${long(20_000)}`,
    status: 414,
    names: 'longer than',
  },
  {
    name: 'a query filter past the identifier length',
    method: 'GET',
    url: `/gridsquares?gridsquare_id=${long(3000)}`,
    status: 400,
    names: 'gridsquare_id',
  },
  {
    name: 'a distribution past its column as JSON',
    method: 'POST',
    url: '/micrographs/mg/particle_picking',
    body: { number_of_particles_picked: 1, pick_distribution: { d: long(MB) } },
    status: 422,
    names: 'pick_distribution',
  },
  // Empty strings and wrong shapes.
  { name: 'uuid ""', method: 'POST', url: '/acquisitions', body: { uuid: '' }, status: 422, names: 'uuid' },
  { name: 'an array where an object goes', method: 'POST', url: '/acquisitions', body: [{ uuid: 'arr' }], status: 422, names: 'body' },
  {
    name: 'null as the body',
    method: 'PUT',
    url: '/acquisitions/acq',
    raw: 'null',
    contentType: 'application/json',
    status: 422,
    names: 'body',
  },
  {
    name: 'an empty body on POST',
    method: 'POST',
    url: '/acquisitions',
    raw: '',
    contentType: 'application/json',
    status: 422,
    names: 'body',
  },
  { name: 'no body on POST', method: 'POST', url: '/grids/grid/gridsquares', status: 422, names: 'body' },
  {
    name: 'a required field missing',
    method: 'POST',
    url: '/grids/grid/gridsquares',
    body: { uuid: 'r1' },
    status: 422,
    names: 'gridsquare_id',
  },
  // Fastify's own errors.
  {
    name: 'malformed JSON',
    method: 'POST',
    url: '/acquisitions',
    raw: '{"uuid":',
    contentType: 'application/json',
    status: 400,
    names: 'JSON',
  },
  {
    name: '__proto__ in JSON',
    method: 'POST',
    url: '/acquisitions',
    raw: '{"uuid":"p","__proto__":{"x":1}}',
    contentType: 'application/json',
    status: 400,
    names: 'JSON',
  },
  {
    name: 'an unsupported content type',
    method: 'POST',
    url: '/acquisitions',
    raw: '<uuid/>',
    contentType: 'application/xml',
    status: 415,
    names: 'application/xml',
  },
  { name: 'a text/plain body', method: 'POST', url: '/acquisitions', raw: 'uuid=a', contentType: 'text/plain', status: 422, names: 'body' },
  { name: 'NUL in an instruction id', method: 'POST', url: '/instructions/%00/approve', status: 400, names: 'instruction_id' },
  {
    name: 'a body past the body limit',
    method: 'POST',
    url: '/acquisitions',
    raw: long(64 * MB + 1),
    contentType: 'application/json',
    status: 413,
    names: 'body',
  },
  { name: 'a malformed percent-escape in the URL', method: 'GET', url: '/acquisitions/%zz', status: 400, names: 'URL' },
  // Wrong methods: 405 with the methods the path takes.
  {
    name: 'PATCH an acquisition',
    method: 'PATCH',
    url: '/acquisitions/acq',
    body: {},
    status: 405,
    names: 'PATCH',
    headers: { allow: /^DELETE, GET, HEAD, PUT$/ },
  },
  {
    name: 'DELETE a collection',
    method: 'DELETE',
    url: '/acquisitions',
    status: 405,
    names: 'DELETE',
    headers: { allow: /^GET, HEAD, POST$/ },
  },
  { name: 'GET a batch route', method: 'GET', url: '/batch/grids', status: 405, names: 'GET', headers: { allow: /^POST$/ } },
  {
    name: 'PUT a processing route',
    method: 'PUT',
    url: '/micrographs/mg/ctf',
    body: {},
    status: 405,
    names: 'PUT',
    headers: { allow: /^POST$/ },
  },
  // Unknown ids: 404 naming what is missing.
  { name: 'an unknown acquisition', method: 'GET', url: '/acquisitions/nope', status: 404, names: 'Acquisition not found' },
  { name: 'a negative id', method: 'GET', url: '/gridsquares/-1', status: 404, names: 'Grid Square not found' },
  { name: 'delete an unknown micrograph', method: 'DELETE', url: '/micrographs/nope', status: 404, names: 'Micrograph not found' },
  { name: 'children of an unknown parent', method: 'GET', url: '/grids/nope/gridsquares', status: 404, names: 'Grid not found' },
  {
    name: 'create under an unknown parent',
    method: 'POST',
    url: '/foilholes/nope/micrographs',
    body: { uuid: 'm9', foilhole_id: '9' },
    status: 404,
    names: 'Foil Hole not found',
  },
  {
    name: 'move to an unknown parent',
    method: 'PUT',
    url: '/grids/grid',
    body: { acquisition_uuid: 'nope' },
    status: 404,
    names: 'acquisition_uuid',
  },
  {
    name: 'a result for an unknown micrograph',
    method: 'POST',
    url: '/micrographs/nope/ctf',
    body: { ctf_max_resolution_estimate: 3 },
    status: 404,
    names: 'nope',
  },
  { name: 'suggestions for an unknown grid', method: 'GET', url: '/grids/nope/suggested_squares', status: 404, names: 'nope' },
  { name: 'an unknown route', method: 'GET', url: '/nothing/here', status: 404, names: 'Not Found' },
  { name: 'a duplicate uuid', method: 'POST', url: '/acquisitions', body: { uuid: 'acq' }, status: 409, names: 'acq' },
];

const BATCH_ROWS: BatchRow[] = [
  {
    name: 'impossible date',
    route: 'acquisitions',
    good: { uuid: 'b-a1' },
    bad: { uuid: 'b-a2', start_time: '2024-13-45T99:99:99' },
    status: 422,
    field: 'start_time',
  },
  {
    name: 'February 30th',
    route: 'acquisitions',
    good: { uuid: 'b-a3' },
    bad: { uuid: 'b-a4', end_time: '2024-02-30T00:00:00Z' },
    status: 422,
    field: 'end_time',
  },
  {
    name: 'center_x 2^40',
    route: 'gridsquares',
    good: { ...square, uuid: 'b-gs1', gridsquare_id: 'b1' },
    bad: { ...square, uuid: 'b-gs2', gridsquare_id: 'b2', center_x: 2 ** 40 },
    status: 422,
    field: 'center_x',
  },
  {
    name: 'a float position',
    route: 'atlas-tile-gridsquare-positions',
    good: { atlastile_uuid: 'tile', gridsquare_uuid: 'gs2', ...position },
    bad: { atlastile_uuid: 'tile', gridsquare_uuid: 'gs', ...position, size_width: 0.5 },
    status: 422,
    field: 'size_width',
  },
  {
    name: 'NUL in a natural id',
    route: 'foilholes',
    good: { uuid: 'b-fh1', foilhole_id: 'b1', gridsquare_id: '1', gridsquare_uuid: 'gs' },
    bad: { uuid: 'b-fh2', foilhole_id: 'b\u00002', gridsquare_id: '1', gridsquare_uuid: 'gs' },
    status: 422,
    field: 'foilhole_id',
  },
  {
    name: 'a 3,000-character natural id',
    route: 'gridsquares',
    good: { ...square, uuid: 'b-gs3', gridsquare_id: 'b3' },
    bad: { ...square, uuid: 'b-gs4', gridsquare_id: long(3000) },
    status: 422,
    field: 'gridsquare_id',
  },
  {
    name: 'a 1 MB path',
    route: 'grids',
    good: { uuid: 'b-g1', name: 'G', acquisition_uuid: 'acq' },
    bad: { uuid: 'b-g2', name: 'G', acquisition_uuid: 'acq', data_dir: long(MB) },
    status: 422,
    field: 'data_dir',
  },
  {
    name: 'a status outside the enum',
    route: 'micrographs',
    good: { uuid: 'b-m1', foilhole_id: 'f', foilhole_uuid: 'fh' },
    bad: { uuid: 'b-m2', foilhole_id: 'f', foilhole_uuid: 'fh', status: 'done' },
    status: 422,
    field: 'status',
  },
  { name: 'uuid ""', route: 'acquisitions', good: { uuid: 'b-a5' }, bad: { uuid: '' }, status: 422, field: 'uuid' },
  {
    name: 'a uuid past the identifier length',
    route: 'acquisitions',
    good: { uuid: 'b-a6' },
    bad: { uuid: long(ID_MAX_LENGTH + 1) },
    status: 422,
    field: 'uuid',
  },
  {
    name: 'a parent missing from the item',
    route: 'grids',
    good: { uuid: 'b-g3', name: 'G', acquisition_uuid: 'acq' },
    bad: { uuid: 'b-g4', name: 'G' },
    status: 422,
    field: 'acquisition_uuid',
  },
  { name: 'an array for an item', route: 'acquisitions', good: { uuid: 'b-a7' }, bad: ['b-a8'], status: 422, field: '' },
  { name: 'null for an item', route: 'acquisitions', good: { uuid: 'b-a9' }, bad: null, status: 422, field: '' },
  {
    name: 'a string for a number',
    route: 'micrographs',
    good: { uuid: 'b-m3', foilhole_id: 'f', foilhole_uuid: 'fh' },
    bad: { uuid: 'b-m4', foilhole_id: 'f', foilhole_uuid: 'fh', defocus: 'deep' },
    status: 422,
    field: 'defocus',
  },
  {
    name: 'an existing uuid under another parent (would move its subtree)',
    route: 'gridsquares',
    good: { ...square, uuid: 'b-gs5', gridsquare_id: 'b5' },
    bad: { ...square, grid_uuid: 'grid2' },
    status: 409,
    field: 'gs',
  },
  {
    name: 'an unknown parent',
    route: 'foilholes',
    good: { uuid: 'b-fh3', foilhole_id: 'b3', gridsquare_id: '1', gridsquare_uuid: 'gs' },
    bad: { uuid: 'b-fh4', foilhole_id: 'b4', gridsquare_id: '1', gridsquare_uuid: 'nope' },
    status: 404,
    field: 'gridsquare_uuid',
  },
];

/** A raw HTTP request on a socket (for what node's parser refuses before fastify sees a request). */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function assertProblem(
  res: { status: number; headers: Record<string, unknown>; json: any },
  status: number,
  names: string,
  what: string,
): void {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json)?.slice(0, 500)}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, what);
  const { type, title, status: bodyStatus, detail } = res.json;
  assert.equal(typeof type, 'string', what);
  assert.equal(typeof title, 'string', what);
  assert.equal(bodyStatus, status, what);
  assert.equal(typeof detail, 'string', what);
  const fields = (res.json.errors ?? []).map((e: { field: string }) => e.field);
  assert.ok(
    fields.includes(names) || detail.includes(names),
    `${what}: the problem names ${names}: ${JSON.stringify(res.json).slice(0, 500)}`,
  );
  assert.ok(JSON.stringify(res.json).length < 4000, `${what}: the problem does not echo the request`);
}

for (const kind of testDatabaseKinds()) {
  describe(`bad requests on ${kind}`, () => {
    let api: TestApi;
    let health: () => Promise<void>;
    before(async () => {
      api = await startTestApi(kind);
      const seed: Array<[string, unknown]> = [
        ['/acquisitions', { uuid: 'acq', name: 'Session' }],
        ['/acquisitions/acq/grids', { uuid: 'grid', name: 'G', acquisition_uuid: 'acq' }],
        ['/acquisitions/acq/grids', { uuid: 'grid2', name: 'G2', acquisition_uuid: 'acq' }],
        ['/grids/grid/atlas', { uuid: 'atlas', name: 'A', grid_uuid: 'grid', tiles: [{ uuid: 'tile', tile_id: '1' }] }],
        ['/grids/grid/gridsquares', { uuid: 'gs', gridsquare_id: '1', grid_uuid: 'grid' }],
        ['/grids/grid/gridsquares', { uuid: 'gs2', gridsquare_id: '2', grid_uuid: 'grid' }],
        ['/gridsquares/gs/foilholes', { uuid: 'fh', foilhole_id: '1', gridsquare_id: '1', gridsquare_uuid: 'gs', is_near_grid_bar: false }],
        ['/foilholes/fh/micrographs', { uuid: 'mg', foilhole_id: '1', micrograph_id: 'm1' }],
      ];
      for (const [url, body] of seed) {
        const res = await api.call('POST', url, body);
        assert.equal(res.status, 201, `${url}: ${JSON.stringify(res.json)}`);
      }
      assert.equal((await api.call('PUT', '/agent/ag/session/s', { acquisition_uuid: 'acq', mode: 'auto' })).status, 201);
      const before = (await api.call('GET', '/gridsquares/gs')).json;
      /** The server answers, reads and still has the seeded rows as they were. */
      health = async () => {
        assert.equal((await api.call('GET', '/health')).status, 200);
        assert.deepEqual((await api.call('GET', '/gridsquares/gs')).json, before);
        assert.equal((await api.call('GET', '/micrographs/mg')).status, 200);
        assert.equal((await api.call('GET', '/grids/grid/gridsquares')).json.length >= 2, true);
      };
    });
    after(async () => {
      await api?.close();
    });

    for (const row of ROWS) {
      test(`${row.method} ${row.url.slice(0, 60)}: ${row.name} → ${row.status}`, async () => {
        const payload = row.raw ?? (row.body === undefined ? undefined : JSON.stringify(row.body));
        const contentType = row.contentType ?? (row.body === undefined ? undefined : 'application/json');
        const raw = await api.app.inject({
          method: row.method,
          url: row.url,
          ...(payload === undefined ? {} : { payload }),
          headers: contentType ? { 'content-type': contentType } : {},
        });
        assertProblem({ status: raw.statusCode, headers: raw.headers, json: JSON.parse(raw.body) }, row.status, row.names, row.name);
        for (const [header, pattern] of Object.entries(row.headers ?? {})) assert.match(String(raw.headers[header]), pattern, header);
        await health();
      });
    }

    for (const row of BATCH_ROWS) {
      test(`POST /batch/${row.route}: ${row.name} → item 1 rejected ${row.status}, item 0 applied`, async () => {
        const res = await api.call('POST', `/batch/${row.route}`, { items: [row.good, row.bad] });
        assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 500));
        const [good, bad] = res.json.results;
        assert.ok(['created', 'updated', 'unchanged'].includes(good.outcome), JSON.stringify(good));
        assert.equal(bad.outcome, 'rejected');
        assert.equal(bad.status, row.status);
        if (row.status === 422) assert.match(bad.detail, new RegExp(`^items/1${row.field ? `/${row.field}` : ''}: `), bad.detail);
        else assert.ok(bad.detail.includes(row.field), bad.detail);
        assert.ok(bad.detail.length < 2000, 'the detail does not echo the item');
        const goodUrl =
          row.route === 'atlas-tile-gridsquare-positions'
            ? `/gridsquares/${String(row.good.gridsquare_uuid)}`
            : `/${row.route}/${String(row.good.uuid)}`;
        assert.equal((await api.call('GET', goodUrl)).status, 200, goodUrl);
        await health();
      });
    }

    test('a batch that is not {items: [...]} is a 400 naming the field', async () => {
      for (const body of [{}, { items: 'all' }, { items: Array.from({ length: 5001 }, (_, i) => ({ uuid: `many${i}` })) }, []]) {
        const res = await api.call('POST', '/batch/acquisitions', body);
        assertProblem(
          { status: res.status, headers: res.raw.headers, json: res.json },
          400,
          Array.isArray(body) ? 'body' : 'items',
          JSON.stringify(body).slice(0, 40),
        );
      }
      await health();
    });

    test('a uuid of the full identifier length is created, read, listed and deleted', async () => {
      const uuid = `${long(ID_MAX_LENGTH - 3)}é/€`;
      assert.equal((await api.call('POST', '/acquisitions', { uuid })).status, 201);
      const path = `/acquisitions/${encodeURIComponent(uuid)}`;
      assert.equal((await api.call('GET', path)).json.uuid, uuid);
      assert.equal(
        (await api.call('POST', '/batch/acquisitions', { items: [{ uuid, name: 'renamed' }] })).json.results[0].outcome,
        'updated',
      );
      assert.equal((await api.call('DELETE', path)).status, 204);
      assert.equal((await api.call('GET', path)).status, 404);
    });

    test('DELETE with Content-Type: application/json and an empty body is accepted (as the original)', async () => {
      assert.equal((await api.call('POST', '/acquisitions', { uuid: 'to-delete' })).status, 201);
      const res = await api.app.inject({
        method: 'DELETE',
        url: '/acquisitions/to-delete',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      assert.equal(res.statusCode, 204, res.body);
      assert.equal((await api.call('GET', '/acquisitions/to-delete')).status, 404);
    });

    test('unknown fields are dropped, not stored, on single routes and in batches alike', async () => {
      const res = await api.call('POST', '/acquisitions', { uuid: 'extra', bogus: 1 });
      assert.equal(res.status, 201);
      assert.equal('bogus' in res.json, false);
      const batch = await api.call('POST', '/batch/acquisitions', { items: [{ uuid: 'extra2', bogus: 1 }] });
      assert.equal(batch.json.results[0].outcome, 'created');
    });

    test('NUL inside free-form JSON (an acknowledgement result) is a 422 naming its path', async () => {
      const session = await requireSession(api.db.handle.db, 'ag', 's');
      const [instruction] = await issueInstructions(
        api.db.handle.db,
        [session],
        [{ type: 'athena.control.skip_gridsquares', topic: 'test', payload: {} }],
      );
      const url = `/agent/ag/session/s/instructions/${instruction!.instruction_id}/ack`;
      const res = await api.call('POST', url, { status: 'processed', result: { note: 'a\u0000b' } });
      assertProblem({ status: res.status, headers: res.raw.headers, json: res.json }, 422, 'result/note', 'ack result');
      assert.equal((await api.call('POST', url, { status: 'processed', result: { note: 'ok' } })).status, 200);
      await health();
    });

    test('errors node refuses before a request exists are problem details too (431, 400)', async () => {
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = api.app.server.address() as AddressInfo;
      const huge = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${long(64 * 1024)}\r\n\r\n`);
      assert.match(huge, /^HTTP\/1\.1 431 /);
      assert.match(huge, /Content-Type: application\/problem\+json/);
      assert.equal(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).status, 431);
      const garbage = await rawRequest(port, 'NOT A REQUEST\r\n\r\n');
      assert.match(garbage, /^HTTP\/1\.1 400 /);
      assert.equal(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)).status, 400);
      const ok = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(ok.status, 200);
      await health();
    });
  });
}

test("the API's limits are the database's: every field of KINDS against its column's type", () => {
  const tables: Record<Kind, PgTable> = {
    acquisition: schema.acquisition,
    grid: schema.grid,
    atlas: schema.atlas,
    atlastile: schema.atlastile,
    position: schema.atlastilegridsquareposition,
    gridsquare: schema.gridsquare,
    foilhole: schema.foilhole,
    micrograph: schema.micrograph,
  };
  let checked = 0;
  for (const [kind, table] of Object.entries(tables) as Array<[Kind, PgTable]>) {
    const columns = getTableColumns(table) as Record<string, { getSQLType(): string; enumValues?: readonly string[] }>;
    for (const [name, field] of Object.entries(KINDS[kind].fields as Record<string, FieldSpec>)) {
      const column = columns[name];
      const what = `${kind}.${name}`;
      assert.ok(column, `${what} has a column`);
      const type = column.getSQLType();
      if (typeof field.kind === 'object') assert.deepEqual(column.enumValues, field.kind.enum, what);
      else if (field.kind === 'string') assert.equal(type, `varchar(${field.maxLength})`, what);
      else if (field.kind === 'integer') assert.equal(type, 'integer', what);
      else if (field.kind === 'number') assert.equal(type, 'double precision', what);
      else if (field.kind === 'boolean') assert.equal(type, 'boolean', what);
      else assert.equal(type, 'timestamp with time zone', what);
      checked++;
    }
  }
  assert.ok(checked > 100, `${checked} fields`);
  // integer columns are int4: the wire's integer range is int4's.
  assert.deepEqual([INT4_MIN, INT4_MAX], [-(2 ** 31), 2 ** 31 - 1]);
});

test('a 500 is logged bounded: no query parameters, messages cut', () => {
  const params = long(10 * MB);
  const error = new Error(`Failed query: insert into "acquisition" ("uuid") values ($1)\nparams: ${params}`, {
    cause: new Error(long(MB)),
  });
  const logged = JSON.stringify(loggableError(error));
  assert.ok(logged.length < 3000, `${logged.length} characters`);
  assert.ok(!logged.includes('params:'));
  assert.match(logged, /Failed query: insert into/);
});
