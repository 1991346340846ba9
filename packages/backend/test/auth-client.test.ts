/**
 * The agent's side of auth, end to end: `@smartem/client` with the OAuth client-credentials grant against a real
 * OpenID provider, calling a backend that enforces tokens; caching, renewal before expiry, one renew-and-retry on a
 * 401, refused credentials, and no secret or token in the log.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ApiError, ClientCredentialsTokenSource, SmartEmClient, TokenRequestError, staticToken } from '@smartem/client';
import { buildApp } from '../src/http/app.ts';
import { openTestDatabase, type TestDatabase } from './support/databases.ts';
import { AUDIENCE, startTestProvider, type TestProvider } from './support/oidc.ts';

const CLIENTS = {
  'agent-pc': { secret: 'cc-agent-secret-7f3a', realmRoles: ['smartem-agent'] },
  'short-lived': { secret: 'cc-short-secret-91be', realmRoles: ['smartem-agent'], ttl: 3 },
  outsider: { secret: 'cc-outsider-secret-c4d2', realmRoles: ['smartem-agent'] },
};

describe('agent client credentials against a real provider and an enforcing backend', () => {
  let idp: TestProvider;
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let baseUrl: string;
  const logText: string[] = [];
  const log = pino(
    { level: 'trace' },
    new Writable({
      write: (c, _e, done) => {
        logText.push(String(c));
        done();
      },
    }),
  );
  const issued: string[] = [];

  const source = (clientId: keyof typeof CLIENTS, now?: () => number) =>
    new ClientCredentialsTokenSource({ issuer: idp.issuer, clientId, clientSecret: CLIENTS[clientId].secret, log, now });
  /** Records every token a source hands out, to check later that none reached the log. */
  const recording = (s: ClientCredentialsTokenSource) => ({
    token: async (signal?: AbortSignal) => {
      const t = await s.token(signal);
      issued.push(t);
      return t;
    },
    invalidate: (t: string) => s.invalidate(t),
  });
  const client = (auth: Parameters<typeof recording>[0]) =>
    new SmartEmClient({ baseUrl, auth: recording(auth), retries: 0, onRetry: (info) => log.warn(info, 'retry') });

  before(async () => {
    idp = await startTestProvider(CLIENTS);
    db = await openTestDatabase('pglite');
    app = await buildApp({
      db: db.handle.db,
      log,
      auth: { issuer: idp.issuer, audience: [AUDIENCE], allowedAzp: ['agent-pc', 'short-lived'], clockToleranceSec: 0, jwksCooldownMs: 0 },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app?.close();
    await db?.drop();
    await idp?.close();
  });

  test('a token is fetched once, reused while fresh, and renewed before it expires', async () => {
    let clock = Date.now();
    const tokens = source('agent-pc', () => clock);
    const api = client(tokens);
    const before = idp.tokenRequests;
    const results = await api.batch('acquisition', [{ uuid: 'acq-cc', name: 'CC' }]);
    assert.equal(results[0]!.outcome, 'created');
    await api.list('acquisition');
    assert.equal(idp.tokenRequests - before, 1, 'the second call reuses the token');
    clock += 239_000; // the provider's tokens live 300 s: still more than a minute left
    await api.list('acquisition');
    assert.equal(idp.tokenRequests - before, 1);
    clock += 2_000; // less than a minute left: renewed before use
    await api.list('acquisition');
    assert.equal(idp.tokenRequests - before, 2);
  });

  test('a 401 renews the token and retries once', async () => {
    // The source's clock stands still, so it holds on to a token the backend (no leeway here) sees expire.
    const frozen = Date.now();
    const tokens = source('short-lived', () => frozen);
    const stale = await tokens.token();
    for (
      let i = 0;
      i < 300 && (await fetch(`${baseUrl}/acquisitions`, { headers: { authorization: `Bearer ${stale}` } })).status !== 401;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = idp.tokenRequests;
    const api = client(tokens);
    assert.ok(Array.isArray(await api.list('acquisition')));
    assert.equal(idp.tokenRequests - before, 1, 'one renewal after the 401');
  });

  test('a backend that keeps answering 401 gets exactly one renewal, then the 401 surfaces', async () => {
    const tokens = source('outsider'); // a client the backend does not allow
    const before = idp.tokenRequests;
    const error = await client(tokens)
      .list('grid')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ApiError && error.status === 401 && error.isAuthError, String(error));
    assert.equal(idp.tokenRequests - before, 2);
  });

  test('a wrong secret is refused by the provider as an auth error that names no secret', async () => {
    const tokens = new ClientCredentialsTokenSource({ issuer: idp.issuer, clientId: 'agent-pc', clientSecret: 'wrong-secret-5e6f', log });
    const error = await client(tokens)
      .list('grid')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof TokenRequestError && error.isAuthError, String(error));
    assert.match(error.message, /invalid_client/);
    assert.ok(!error.message.includes('wrong-secret-5e6f'));
  });

  test("a static token (the agent's --token) is sent as given", async () => {
    const token = await idp.sign({ sub: 'static', azp: 'agent-pc', realm_access: { roles: ['smartem-agent'] } });
    issued.push(token);
    const api = new SmartEmClient({ baseUrl, auth: staticToken(token), retries: 0 });
    assert.equal((await api.batch('acquisition', [{ uuid: 'acq-static', name: 'S' }]))[0]!.outcome, 'created');
    const anonymous = new SmartEmClient({ baseUrl, retries: 0 });
    await assert.rejects(anonymous.list('grid'), (e: unknown) => e instanceof ApiError && e.status === 401);
  });

  test('the log (client and backend, at trace level) holds no secret and no token', () => {
    const text = logText.join('');
    assert.match(text, /obtained an access token/);
    assert.match(text, /the identity provider refused a token/);
    for (const { secret } of Object.values(CLIENTS)) assert.ok(!text.includes(secret), 'a client secret is in the log');
    assert.ok(!text.includes('wrong-secret-5e6f'));
    assert.ok(issued.length >= 5);
    for (const token of issued) assert.ok(!text.includes(token), 'an access token is in the log');
  });
});
