/**
 * Bearer-token auth against a real OpenID provider started here: tokens from its token endpoint for each role,
 * hand-made tokens for the faults a provider never issues, key rotation, open routes, and the access table's coverage.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { buildApp } from '../src/http/app.ts';
import { authFromEnv, installAuth, type AuthOptions } from '../src/http/auth/index.ts';
import { ROUTE_ACCESS } from '../src/http/auth/roles.ts';
import { InProcessBus } from '../src/bus/in-process.ts';
import { openTestDatabase, type TestDatabase } from './support/databases.ts';
import { AUDIENCE, startTestProvider, type TestProvider } from './support/oidc.ts';

const CLIENTS = {
  'agent-pc': { secret: 'agent-secret-1', realmRoles: ['smartem-agent'] },
  pipeline: { secret: 'pipeline-secret-1', clientRoles: ['smartem-operator'] },
  'admin-cli': { secret: 'admin-secret-1', realmRoles: ['smartem-admin'] },
  viewer: { secret: 'viewer-secret-1' },
  stranger: { secret: 'stranger-secret-1', realmRoles: ['smartem-admin'] },
};

describe('OIDC bearer-token auth', () => {
  let idp: TestProvider;
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof buildApp>>;
  const logLines: string[] = [];
  const tokens: Record<string, string> = {};

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const json = /json/.test(String(res.headers['content-type'])) && res.body ? JSON.parse(res.body) : undefined;
    return { status: res.statusCode, headers: res.headers, json };
  };

  before(async () => {
    idp = await startTestProvider(CLIENTS);
    db = await openTestDatabase('pglite');
    const auth: AuthOptions = {
      issuer: idp.issuer,
      audience: [AUDIENCE],
      allowedAzp: ['agent-pc', 'pipeline', 'admin-cli', 'viewer'],
      jwksCooldownMs: 0,
    };
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        logLines.push(String(chunk));
        done();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    app = await buildApp({ db: db.handle.db, log, auth, bus: new InProcessBus({ log }) });
    for (const id of Object.keys(CLIENTS)) tokens[id] = await idp.token(id);
  });
  after(async () => {
    await app?.close();
    await db?.drop();
    await idp?.close();
  });

  test('health, status, Swagger UI and the OpenAPI document need no token; the document declares the bearer scheme and each role', async () => {
    for (const url of ['/health', '/status', '/openapi.json', '/docs/json', '/docs/yaml']) {
      assert.equal((await call('GET', url)).status, 200, url);
    }
    for (const url of ['/docs', '/docs/static/index.html']) assert.ok((await call('GET', url)).status < 400, url);
    const doc = (await call('GET', '/docs/json')).json;
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    assert.deepEqual(doc.paths['/acquisitions'].post.security, [{ bearer: ['smartem-agent'] }]);
    assert.deepEqual(doc.paths['/acquisitions'].get.security, [{ bearer: [] }]);
    assert.deepEqual(doc.paths['/micrographs/{micrograph_uuid}'].delete.security, [{ bearer: ['smartem-admin'] }]);
    assert.deepEqual(doc.paths['/health'].get.security, []);
  });

  test('no token: 401 problem details with a Bearer challenge, even for reads and the anonymous DELETE of issue 15', async () => {
    for (const [method, url] of [
      ['GET', '/acquisitions'],
      ['DELETE', '/micrographs/anything'],
      ['POST', '/batch/grids'],
    ] as const) {
      const res = await call(method, url, undefined, method === 'POST' ? { items: [] } : undefined);
      assert.equal(res.status, 401, `${method} ${url}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="smartem"$/);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json.title, 'Unauthorized');
      assert.equal(res.json.status, 401);
    }
    const basic = await app.inject({ method: 'GET', url: '/acquisitions', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.statusCode, 401);
  });

  test("each role is allowed its routes and refused the others (tokens from the provider's token endpoint)", async () => {
    const agent = tokens['agent-pc']!;
    const operator = tokens.pipeline!;
    const admin = tokens['admin-cli']!;
    const viewer = tokens.viewer!;

    // Agent: EPU entities, single and batched; nothing else that writes.
    assert.equal((await call('POST', '/acquisitions', agent, { uuid: 'acq', name: 'A' })).status, 201);
    assert.equal((await call('POST', '/acquisitions/acq/grids', agent, { uuid: 'grid', name: 'G', acquisition_uuid: 'acq' })).status, 201);
    assert.equal(
      (await call('POST', '/batch/gridsquares', agent, { items: [{ uuid: 'sq', gridsquare_id: '1', grid_uuid: 'grid' }] })).status,
      200,
    );
    assert.equal(
      (
        await call('POST', '/batch/foilholes', agent, {
          items: [{ uuid: 'fh', foilhole_id: 'f1', gridsquare_uuid: 'sq', gridsquare_id: '1' }],
        })
      ).status,
      200,
    );
    for (const uuid of ['mic-1', 'mic-2']) {
      assert.equal(
        (await call('POST', '/foilholes/fh/micrographs', agent, { uuid, micrograph_id: uuid, foilhole_uuid: 'fh', foilhole_id: 'f1' }))
          .status,
        201,
      );
    }
    assert.equal((await call('PUT', '/grids/grid', agent, { uuid: 'grid', name: 'G2', acquisition_uuid: 'acq' })).status, 200);
    assert.equal((await call('GET', '/grids/grid', agent)).status, 200);
    const agentDenied = [
      ['POST', '/micrographs/mic-1/ctf', { ctf_max_resolution_estimate: 3.1 }],
      ['PUT', '/grids/grid/decision_authority', { authority: 'online-learner' }],
      ['DELETE', '/micrographs/mic-1', undefined],
      ['GET', '/dead-letters', undefined],
    ] as const;
    for (const [method, url, body] of agentDenied) {
      const res = await call(method, url, agent, body);
      assert.equal(res.status, 403, `agent ${method} ${url}`);
      assert.equal(res.json.title, 'Forbidden');
      assert.match(res.json.detail, /smartem-(operator|admin)/);
    }

    // Operator (a client role under resource_access.pipeline): processing results and decision settings.
    assert.equal((await call('POST', '/micrographs/mic-1/ctf', operator, { ctf_max_resolution_estimate: 3.1 })).status, 200);
    assert.equal((await call('PUT', '/grids/grid/decision_authority', operator, { authority: 'online-learner' })).status, 200);
    assert.equal((await call('POST', '/acquisitions', operator, { uuid: 'acq-op', name: 'A' })).status, 403);
    assert.equal((await call('POST', '/batch/grids', operator, { items: [] })).status, 403);
    assert.equal((await call('DELETE', '/micrographs/mic-1', operator)).status, 403);

    // Any valid token reads; a token without roles writes nothing.
    assert.equal((await call('GET', '/micrographs', viewer)).status, 200);
    assert.equal((await call('GET', '/grids/grid/suggested_squares', viewer)).status, 200);
    assert.equal((await call('POST', '/acquisitions', viewer, { uuid: 'acq-v', name: 'A' })).status, 403);
    assert.equal((await call('GET', '/dead-letters', viewer)).status, 403);

    // Admin: deletes and dead letters, and (admin implies every role) the others' writes too.
    assert.equal((await call('DELETE', '/micrographs/mic-2', admin)).status, 204);
    assert.equal((await call('GET', '/dead-letters', admin)).status, 200);
    assert.equal((await call('POST', '/acquisitions', admin, { uuid: 'acq-admin', name: 'A' })).status, 201);
    assert.equal((await call('POST', '/micrographs/mic-1/motion_correction', admin, { total_motion: 1, average_motion: 0.1 })).status, 200);
  });

  test('bad tokens: 401 with error="invalid_token" for signature, expiry beyond the leeway, issuer, audience, azp, type and shape', async () => {
    const base = { sub: 'svc', azp: 'agent-pc', realm_access: { roles: ['smartem-agent'] } };
    const now = Math.floor(Date.now() / 1000);
    const forged = await idp.newKey();
    const cases: Array<[string, string, RegExp]> = [
      ['wrong signature', await idp.sign(base, { key: forged, kid: decodeProtectedHeader(tokens.viewer!).kid as string }), /signature/],
      ['unknown key', await idp.sign(base, { key: forged }), /key/],
      ['expired beyond the leeway', await idp.sign({ ...base, iat: now - 600, exp: now - 90 }), /expired/],
      ['wrong issuer', await idp.sign({ ...base, iss: 'https://elsewhere.example/realms/smartem' }), /"iss"/],
      ['wrong audience', await idp.sign({ ...base, aud: 'another-api' }), /"aud"/],
      ['azp not allowed (hand-made)', await idp.sign({ ...base, azp: 'unknown-app' }), /client unknown-app is not allowed/],
      ['azp not allowed (from the provider)', tokens.stranger!, /client stranger is not allowed/],
      ['an ID token', await idp.sign({ ...base, typ: 'ID' }), /not an access token/],
      ['not a JWT', 'abc.def', /malformed/],
    ];
    for (const [what, token, reason] of cases) {
      const res = await call('GET', '/acquisitions', token);
      assert.equal(res.status, 401, what);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="smartem", error="invalid_token"/, what);
      assert.match(res.json.detail, reason, what);
    }
    // Within the 60 s leeway an expired token still passes.
    assert.equal((await call('GET', '/acquisitions', await idp.sign({ ...base, iat: now - 600, exp: now - 20 }))).status, 200);
  });

  test('key rotation: a token signed with a key the backend has not seen makes it fetch the key set again', async () => {
    const before = tokens['agent-pc']!;
    assert.equal((await call('GET', '/acquisitions', before)).status, 200);
    await idp.rotate();
    const after = await idp.token('agent-pc');
    assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid);
    assert.equal((await call('POST', '/batch/acquisitions', after, { items: [{ uuid: 'acq-rotated', name: 'R' }] })).status, 200);
    assert.equal((await call('GET', '/acquisitions', before)).status, 200, 'the old key is still published');
  });

  test('tokens never reach the log; rejections are logged with their reason', () => {
    const text = logLines.join('');
    for (const [id, token] of Object.entries(tokens)) assert.ok(!text.includes(token), `${id}'s token is in the log`);
    for (const { secret } of Object.values(CLIENTS)) assert.ok(!text.includes(secret));
    assert.match(text, /"msg":"rejected token"/);
    assert.match(text, /"msg":"missing role"/);
  });
});

test('an unreachable identity provider answers 503, not 401 (the token may be valid)', async () => {
  const db = await openTestDatabase('pglite');
  const app = await buildApp({ db: db.handle.db, log: pino({ level: 'silent' }), auth: { issuer: 'http://127.0.0.1:9' } });
  try {
    const res = await app.inject({ method: 'GET', url: '/acquisitions', headers: { authorization: 'Bearer a.b.c' } });
    assert.equal(res.statusCode, 503);
    assert.match(res.headers['content-type'] as string, /problem\+json/);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  } finally {
    await app.close();
    await db.drop();
  }
});

test("the dashboard's sign-in settings: from SMARTEM_OIDC_WEB_CLIENT_ID, public at /auth/config, null when the API is open", async () => {
  const issuer = 'http://127.0.0.1:9';
  const auth = authFromEnv({ SMARTEM_OIDC_ISSUER: issuer, SMARTEM_OIDC_WEB_CLIENT_ID: ' smartem-dashboard ' });
  assert.deepEqual(auth, { issuer, webClientId: 'smartem-dashboard' });
  assert.throws(
    () => authFromEnv({ SMARTEM_OIDC_WEB_CLIENT_ID: 'smartem-dashboard' }),
    /SMARTEM_OIDC_WEB_CLIENT_ID set without SMARTEM_OIDC_ISSUER/,
  );
  const db = await openTestDatabase('pglite');
  const log = pino({ level: 'silent' });
  const secured = await buildApp({ db: db.handle.db, log, auth: auth! });
  const open = await buildApp({ db: db.handle.db, log });
  try {
    const res = await secured.inject({ method: 'GET', url: '/auth/config' });
    assert.equal(res.statusCode, 200, 'no token needed');
    assert.deepEqual(res.json(), { oidc: { issuer, client_id: 'smartem-dashboard', scope: 'openid profile' } });
    const bare = await buildApp({ db: db.handle.db, log, auth: { issuer } });
    assert.deepEqual((await bare.inject({ method: 'GET', url: '/auth/config' })).json(), {
      oidc: { issuer, client_id: null, scope: 'openid profile' },
    });
    await bare.close();
    assert.deepEqual((await open.inject({ method: 'GET', url: '/auth/config' })).json(), { oidc: null });
  } finally {
    await secured.close();
    await open.close();
    await db.drop();
  }
});

test('access table: every route the API registers is classified (building with auth refuses otherwise), and every entry is a route', async () => {
  const db = await openTestDatabase('pglite');
  try {
    const app = await buildApp({ db: db.handle.db, log: pino({ level: 'silent' }), auth: { issuer: 'http://127.0.0.1:9' } });
    for (const route of ROUTE_ACCESS.keys()) {
      const [method, url] = route.split(' ') as [string, string];
      assert.ok(app.hasRoute({ method: method as 'GET', url }), `${route} is in the table but not registered`);
    }
    await app.close();
  } finally {
    await db.drop();
  }

  const bare = Fastify();
  installAuth(bare, { issuer: 'http://127.0.0.1:9' });
  bare.post('/unlisted/:id', async () => ({}));
  await assert.rejects(async () => void (await bare.ready()), /access table.*POST \/unlisted\/:id/);
});
