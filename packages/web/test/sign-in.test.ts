/**
 * Dashboard sign-in against a real OpenID provider, in a real browser: the backend requires tokens and names the
 * provider and the dashboard's public client at `/auth/config`; opening a deep link sends the browser to the provider
 * with a PKCE (S256) challenge, its login form signs the user in, the dashboard exchanges the code, comes back to the
 * page it was asked for and reads and writes the API, and follows its live stream, with the token. Sign-out forgets the token. A user without the
 * operator role reads, but the buttons that decide are disabled, and the API answers their token 403. Short-lived
 * access tokens are renewed with the refresh token (rotated at each use) before they expire: no new sign-in, and the
 * page keeps reading and writing after the first token has expired (the backend allows no clock leeway here).
 * Screenshots go to packages/web/test-output/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startBackend, type RunningBackend } from '@smartem/backend';
import { createLogger } from '@smartem/common';
import { buildDashboard } from '../src/build.ts';
import { browserMissing, launchChromium } from './browser.ts';
import { AUDIENCE, DASHBOARD_CLIENT, SCOPE, startDashboardProvider, type DashboardProvider } from './oidc.ts';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const skip = browserMissing();

let base: string;
let idp: DashboardProvider | undefined;
let backend: RunningBackend | undefined;
let browser: Browser | undefined;
const ids = { acquisition: 'acq-signin', grid: 'grid-signin', square: 'gs-signin', squareId: '5001' };

before(async () => {
  if (skip) return;
  await buildDashboard();
  await mkdir(OUTPUT, { recursive: true });
  base = await mkdtemp(join(tmpdir(), 'smartem-web-signin-'));
  idp = await startDashboardProvider({ ops: ['smartem-operator'], reader: [] });
  const log = createLogger({ level: 'error', name: 'web-signin-test' });
  backend = await startBackend({
    log,
    dataDir: join(base, 'db'),
    host: '127.0.0.1',
    port: 0,
    worker: true,
    migrate: true,
    auth: {
      issuer: idp.issuer,
      audience: [AUDIENCE],
      webClientId: DASHBOARD_CLIENT,
      webScope: SCOPE,
      jwksCooldownMs: 0,
      clockToleranceSec: 0,
    },
  });
  idp.configure(`${backend.url}/ui/`);
  const token = await idp.setupToken();
  const write = async (method: string, path: string, body: object) => {
    const res = await fetch(`${backend!.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.text()}`);
  };
  await write('POST', '/acquisitions', { uuid: ids.acquisition, name: 'signed visit' });
  await write('POST', `/acquisitions/${ids.acquisition}/grids`, { uuid: ids.grid, name: 'Grid_1', acquisition_uuid: ids.acquisition });
  await write('POST', `/grids/${ids.grid}/gridsquares`, { uuid: ids.square, gridsquare_id: ids.squareId, grid_uuid: ids.grid });
  await write('PUT', `/agent/signin-agent/session/signin-session`, { acquisition_uuid: ids.acquisition, mode: 'confirm' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await backend?.stop();
  await idp?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

interface StoredSession {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
}

/** The session's stored tokens as the dashboard keeps them (this tab's sessionStorage), or null. */
function storedTokens(page: Page): Promise<string | null> {
  type Storage = { sessionStorage: { getItem(key: string): string | null } };
  return page.evaluate(() => (globalThis as unknown as Storage).sessionStorage.getItem('smartem.tokens'));
}

/** Opens `path` in a fresh browser context (no token, no provider session) and signs in as `login` there. */
async function signInAs(login: string, path: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${backend!.url}${path}`);
  await page.waitForURL(`${idp!.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  // The provider asks once for consent to the dashboard's scopes.
  const consent = page.locator('button[type="submit"]', { hasText: 'Continue' });
  await Promise.race([consent.waitFor().then(() => consent.click()), page.waitForURL(`${backend!.url}/**`)]);
  await page.waitForURL(`${backend!.url}${path}`);
  return { context, page };
}

test('with OIDC the API needs a token and /auth/config names the provider and the dashboard client', { skip: skip ?? false }, async () => {
  assert.equal((await fetch(`${backend!.url}/acquisitions`)).status, 401);
  const config = (await (await fetch(`${backend!.url}/auth/config`)).json()) as {
    oidc: { issuer: string; client_id: string; scope: string };
  };
  assert.deepEqual(config, { oidc: { issuer: idp!.issuer, client_id: DASHBOARD_CLIENT, scope: SCOPE } });
});

test('sign-in: to the provider with PKCE, back to the deep link, API reads and writes with the token; sign-out', {
  skip: skip ?? false,
}, async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const path = `/ui/grids/${ids.grid}/squares/${ids.square}`;
  await page.goto(`${backend!.url}${path}`);
  await page.waitForURL(`${idp!.issuer}/**`);
  await page.screenshot({ path: join(OUTPUT, 'sign-in-provider.png') });
  await context.close();

  // The authorization request the dashboard made.
  const { context: signed, page: p } = await signInAs('ops', path);
  const requests: string[] = [];
  p.on('request', (r) => requests.push(r.url()));
  await p.locator('h1', { hasText: `Grid square ${ids.squareId}` }).waitFor();
  assert.equal(await p.getByTestId('user').textContent(), 'User ops');
  // The live stream goes with the token too.
  await p.locator('[data-live="live"]').waitFor();
  await p.getByRole('button', { name: `Skip grid square ${ids.squareId}` }).click();
  await p.locator('[role="status"]', { hasText: `Skip grid square ${ids.squareId} sent to 1 agent` }).waitFor();
  await p.screenshot({ path: join(OUTPUT, 'sign-in-operator.png'), fullPage: true });

  // Reload: the token in this tab's session storage is used again, no trip to the provider.
  await p.reload();
  await p.locator('h1', { hasText: `Grid square ${ids.squareId}` }).waitFor();
  assert.ok(!requests.some((u) => u.startsWith(idp!.issuer)), 'no new sign-in on reload');

  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await storedTokens(p), null);
  await signed.close();
});

test('the authorization request carries an S256 PKCE challenge and the dashboard client', { skip: skip ?? false }, async () => {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${idp!.issuer}/auth`));
  await page.goto(`${backend!.url}/ui/`);
  const url = new URL((await authorize).url());
  assert.equal(url.searchParams.get('client_id'), DASHBOARD_CLIENT);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(url.searchParams.get('redirect_uri'), `${backend!.url}/ui/`);
  await context.close();
});

test('a user without the operator role reads, sees the deciding buttons disabled, and the API answers 403', {
  skip: skip ?? false,
}, async () => {
  const { context, page } = await signInAs('reader', `/ui/grids/${ids.grid}`);
  await page.locator('h1', { hasText: 'Atlas of Grid_1' }).waitFor();
  await page.locator('text=you can read, not decide').waitFor();
  await page.goto(`${backend!.url}/ui/grids/${ids.grid}/squares/${ids.square}`);
  const skipButton = page.getByRole('button', { name: `Skip grid square ${ids.squareId}` });
  await skipButton.waitFor();
  assert.equal(await skipButton.isDisabled(), true);
  await page.screenshot({ path: join(OUTPUT, 'sign-in-reader.png'), fullPage: true });
  const token = (JSON.parse((await storedTokens(page))!) as { accessToken: string }).accessToken;
  const read = await fetch(`${backend!.url}/grids/${ids.grid}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(read.status, 200);
  const refused = await fetch(`${backend!.url}/instructions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'skip', gridsquare_uuid: ids.square }),
  });
  assert.equal(refused.status, 403);
  assert.match(((await refused.json()) as { detail: string }).detail, /smartem-operator/);
  await context.close();
});

test('a short-lived access token is renewed with the refresh token: no new sign-in, the page reads and writes on', {
  skip: skip ?? false,
}, async () => {
  idp!.setAccessTokenTtl(6);
  try {
    const path = `/ui/grids/${ids.grid}/squares/${ids.square}`;
    const { context, page } = await signInAs('ops', path);
    // What the page asks of the provider from now on: discovery documents and token grants, never a sign-in.
    const atProvider: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(idp!.issuer)) return;
      atProvider.push(
        r.method() === 'POST' ? `grant ${new URLSearchParams(r.postData() ?? '').get('grant_type')}` : new URL(r.url()).pathname,
      );
    });
    await page.locator('h1', { hasText: `Grid square ${ids.squareId}` }).waitFor();
    const first = JSON.parse((await storedTokens(page))!) as StoredSession;
    assert.ok(first.refreshToken, 'the sign-in gave a refresh token');
    // Two renewals: the second one with the refresh token the first rotated.
    const seen = new Set([first.accessToken]);
    const refreshTokens = new Set<string>([first.refreshToken]);
    const deadline = Date.now() + 60_000;
    while (seen.size < 3) {
      assert.ok(Date.now() < deadline, `the access token was renewed ${seen.size - 1} times in 60 s`);
      await new Promise((r) => setTimeout(r, 200));
      const now = JSON.parse((await storedTokens(page))!) as StoredSession;
      seen.add(now.accessToken);
      if (now.refreshToken) refreshTokens.add(now.refreshToken);
    }
    assert.ok(refreshTokens.size >= 3, 'each renewal rotated the refresh token');
    // Once the first token has expired the API refuses it; the page goes on with the renewed one.
    while (Date.now() < first.expiresAt + 1000) await new Promise((r) => setTimeout(r, 200));
    const stale = await fetch(`${backend!.url}/grids/${ids.grid}`, { headers: { authorization: `Bearer ${first.accessToken}` } });
    assert.equal(stale.status, 401);
    await page.getByRole('button', { name: `Include grid square ${ids.squareId}` }).click();
    await page.locator('[role="status"]', { hasText: `Include grid square ${ids.squareId} sent to 1 agent` }).waitFor();
    assert.equal(await page.getByTestId('user').textContent(), 'User ops');
    assert.ok(atProvider.filter((r) => r === 'grant refresh_token').length >= 2, atProvider.join(', '));
    assert.deepEqual(
      atProvider.filter((r) => r !== 'grant refresh_token' && r !== '/.well-known/openid-configuration'),
      [],
      'no new sign-in',
    );
    await context.close();
  } finally {
    idp!.setAccessTokenTtl(600);
  }
});
