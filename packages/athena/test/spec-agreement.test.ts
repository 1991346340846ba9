/**
 * Our generated document against the published one, for every operation we implement: same path and method, same
 * parameters (name, location, required, type, format, enum), same request body and response schemas per status
 * (types, formats, enums, nullability, closed objects), with `$ref`s resolved on both sides. The published document
 * declares no required fields; ours adds exactly the ones listed below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { athenaOpenApiDocument } from '../src/openapi.ts';
import { loadPublishedSpec, SKIP_REASON } from './published-spec.ts';

const ADDED_REQUIRED: Record<string, string[]> = {
  Session: ['sessionName'],
  Area: ['areaType', 'id', 'sessionId'],
  AreaState: ['areaId', 'sessionId', 'state'],
  AreaStateChange: ['areaId', 'sessionId', 'state'],
  DecisionRecord: ['areaId', 'decisionType', 'sessionId'],
};

type Json = Record<string, unknown>;
const IGNORED = new Set(['description', 'required', 'example', 'title']);

function resolve(doc: Json, schema: unknown): unknown {
  let node = schema;
  while (node && typeof node === 'object' && typeof (node as Json).$ref === 'string') {
    const pointer = ((node as Json).$ref as string).slice(2).split('/');
    node = pointer.reduce<unknown>((n, part) => (n as Json)[part], doc);
  }
  return node;
}

/** A schema with refs inlined and annotations dropped, for comparing shapes. */
function normalize(doc: Json, schema: unknown): unknown {
  const node = resolve(doc, schema);
  if (Array.isArray(node)) return node.map((n) => normalize(doc, n));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const key of Object.keys(node).sort()) {
    if (IGNORED.has(key)) continue;
    const value = (node as Json)[key];
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Json)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, normalize(doc, v)]),
      );
    } else out[key] = normalize(doc, value);
  }
  return out;
}

function jsonSchema(content: unknown): unknown {
  const c = content as Record<string, { schema: unknown }> | undefined;
  return c?.['application/json']?.schema;
}

test('our document agrees with the published one for every operation we implement', (t) => {
  const published = loadPublishedSpec() as unknown as Json | undefined;
  if (!published) return t.skip(SKIP_REASON);
  const ours = athenaOpenApiDocument() as unknown as Json;
  const ourPaths = ours.paths as Record<string, Record<string, Json>>;
  const theirPaths = published.paths as Record<string, Record<string, Json>>;
  let operations = 0;
  for (const [path, methods] of Object.entries(ourPaths)) {
    for (const [method, op] of Object.entries(methods)) {
      const where = `${method.toUpperCase()} ${path}`;
      const theirs = theirPaths[path]?.[method];
      assert.ok(theirs, `${where} is not in the published document`);
      operations++;

      const params = (o: Json, doc: Json): Record<string, unknown> =>
        Object.fromEntries(
          ((o.parameters as Json[] | undefined) ?? []).map((p) => [
            `${p.in}:${p.name}`,
            { required: p.required === true, schema: normalize(doc, p.schema) },
          ]),
        );
      assert.deepEqual(params(op, ours), params(theirs, published), `${where}: parameters`);

      const ourBody = (op.requestBody as Json | undefined)?.content;
      const theirBody = (theirs.requestBody as Json | undefined)?.content;
      assert.equal(Boolean(ourBody), Boolean(theirBody), `${where}: request body presence`);
      if (ourBody)
        assert.deepEqual(normalize(ours, jsonSchema(ourBody)), normalize(published, jsonSchema(theirBody)), `${where}: request body`);

      const ourResponses = op.responses as Record<string, Json>;
      const theirResponses = theirs.responses as Record<string, Json>;
      assert.deepEqual(Object.keys(ourResponses).sort(), Object.keys(theirResponses).sort(), `${where}: status codes`);
      for (const status of Object.keys(ourResponses)) {
        assert.deepEqual(
          normalize(ours, jsonSchema(ourResponses[status]!.content)),
          normalize(published, jsonSchema(theirResponses[status]!.content)),
          `${where} ${status}: response body`,
        );
      }
    }
  }
  assert.equal(operations, 23);
});

test('our component schemas have the published shapes, with exactly the listed required fields added', (t) => {
  const published = loadPublishedSpec();
  if (!published) return t.skip(SKIP_REASON);
  const ours = athenaOpenApiDocument();
  for (const [name, schema] of Object.entries(ours.components.schemas)) {
    const theirs = published.components.schemas[name] as Json | undefined;
    assert.ok(theirs, `component ${name} is not in the published document`);
    assert.deepEqual(normalize(ours as unknown as Json, schema), normalize(published as unknown as Json, theirs), `component ${name}`);
    const theirRequired = (theirs.required as string[] | undefined) ?? [];
    const ourRequired = ((schema as Json).required as string[] | undefined) ?? [];
    for (const field of theirRequired) assert.ok(ourRequired.includes(field), `${name}.${field} is required in the published document`);
    const added = ourRequired.filter((f) => !theirRequired.includes(f)).sort();
    assert.deepEqual(added, ADDED_REQUIRED[name] ?? [], `${name}: required fields we add`);
  }
});
