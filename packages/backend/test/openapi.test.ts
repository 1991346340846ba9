/**
 * The checked-in `docs/openapi.json` is the document the API serves (`npm run openapi` regenerates it), and the document
 * is complete: every operation has a summary, a description and one tag, every tag is declared.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatOpenApi } from '../src/runtime/openapi.ts';
import { startTestApi, type TestApi } from './support/app.ts';

interface Operation {
  requestBody?: { required?: boolean };
  summary?: string;
  description?: string;
  tags?: string[];
}
interface Document {
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
}

describe('OpenAPI document', () => {
  let api: TestApi;
  let served: Document;
  before(async () => {
    api = await startTestApi('pglite');
    served = (await api.call('GET', '/docs/json')).json as Document;
  });
  after(async () => {
    await api?.close();
  });

  test('docs/openapi.json is the served /docs/json (run `npm run openapi` after changing a route or schema)', () => {
    const checkedIn = readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8');
    assert.equal(formatOpenApi(served), checkedIn);
  });

  test('a body is optional in the document exactly where the API takes a request without one (the agent heartbeat)', async () => {
    const optional = Object.entries(served.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => op.requestBody && op.requestBody.required !== true)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(optional, ['POST /agent/{agent_id}/session/{session_id}/heartbeat']);
    assert.equal((await api.call('POST', '/acquisitions', { uuid: 'acq', name: 'S' })).status, 201);
    assert.equal((await api.call('PUT', '/agent/ag/session/s', { acquisition_uuid: 'acq', mode: 'auto' })).status, 201);
    const beat = await api.call('POST', '/agent/ag/session/s/heartbeat');
    assert.equal(beat.status, 200, JSON.stringify(beat.json));
    // A required body is still required: the same request without one to another write is refused.
    assert.equal((await api.call('POST', '/acquisitions')).status, 422);
  });

  test('every operation has a summary, a description and one declared tag', () => {
    const declared = new Set((served.tags ?? []).map((t) => t.name));
    const used = new Set<string>();
    for (const [path, operations] of Object.entries(served.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const what = `${method.toUpperCase()} ${path}`;
        assert.ok(op.summary, `${what}: summary`);
        assert.ok(op.description, `${what}: description`);
        assert.equal(op.tags?.length, 1, `${what}: one tag`);
        assert.ok(declared.has(op.tags![0]), `${what}: tag ${op.tags![0]} is declared`);
        used.add(op.tags![0]);
      }
    }
    assert.deepEqual(
      [...declared].filter((t) => !used.has(t)),
      [],
      'every declared tag is used',
    );
  });
});
