/**
 * Safe defaults of `smartem up` and `smartem backend api`: loopback and open by default, OpenID Connect enforced
 * whenever it is configured, and no unauthenticated API on the network without `--insecure`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSmartem, startSmartem } from './support/cli.ts';
import { checkExposure, isLoopbackHost } from '../src/runtime/exposure.ts';

const NO_OIDC = { SMARTEM_OIDC_ISSUER: '', SMARTEM_OIDC_AUDIENCE: '', SMARTEM_OIDC_ALLOWED_AZP: '' };

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const externalAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a!.address);

async function withDataDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'smartem-serve-auth-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('smartem up without --host listens on loopback only, and without OIDC is open there', async () => {
  await withDataDir(async (dir) => {
    const up = await startSmartem(['up', '--port', '0', '--data', dir], NO_OIDC);
    try {
      const url = new URL(up.url);
      assert.equal(url.hostname, '127.0.0.1');
      assert.match(up.stdout(), /auth: none/);
      const port = Number(url.port);
      assert.equal(await accepts('127.0.0.1', port), true);
      for (const address of externalAddresses()) assert.equal(await accepts(address, port), false, `reachable on ${address}`);
      const created = await fetch(`${up.url}/acquisitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid: 'a', name: 'A' }),
      });
      assert.equal(created.status, 201);
    } finally {
      up.child.kill('SIGTERM');
      assert.equal(await up.exit, 0);
    }
  });
});

test('smartem up with SMARTEM_OIDC_ISSUER enforces tokens on every interface, and prints the address it really bound', async () => {
  await withDataDir(async (dir) => {
    const up = await startSmartem(['up', '--port', '0', '--host', '0.0.0.0', '--data', dir], {
      ...NO_OIDC,
      SMARTEM_OIDC_ISSUER: 'http://127.0.0.1:9/realms/smartem',
    });
    try {
      const url = new URL(up.url);
      assert.equal(url.hostname, '0.0.0.0');
      assert.match(up.stdout(), /auth: OpenID Connect, issuer http:\/\/127\.0\.0\.1:9\/realms\/smartem/);
      assert.match(up.stdout(), new RegExp(`on this machine: http://127\\.0\\.0\\.1:${url.port}`));
      const anonymous = await fetch(`http://127.0.0.1:${url.port}/acquisitions`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await fetch(`http://127.0.0.1:${url.port}/health`)).status, 200);
    } finally {
      up.child.kill('SIGTERM');
      assert.equal(await up.exit, 0);
    }
  });
});

test('smartem up --host 0.0.0.0 without OIDC refuses to start with one line and exit 2', async () => {
  const run = await runSmartem(['up', '--port', '0', '--host', '0.0.0.0', '--data', join(tmpdir(), 'smartem-never-created')], NO_OIDC);
  assert.equal(run.code, 2);
  assert.equal(run.err.trim().split('\n').length, 1, run.err);
  assert.match(run.err, /^smartem up: refusing to serve the API on 0\.0\.0\.0 .*SMARTEM_OIDC_ISSUER.*--insecure/);
  assert.equal(run.out, '');
});

test('smartem backend api without OIDC and without --insecure refuses to start, even on loopback', async () => {
  const env = { ...NO_OIDC, DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none', AMQP_URL: 'amqp://127.0.0.1:9' };
  const run = await runSmartem(['backend', 'api', '--port', '0', '--host', '127.0.0.1'], env);
  assert.equal(run.code, 2);
  assert.match(
    run.err,
    /^smartem backend api: refusing to serve the API without authentication; set SMARTEM_OIDC_ISSUER \(see docs\/security\.md\) or pass --insecure\n$/,
  );
});

test('a malformed SMARTEM_OIDC_ISSUER is named, not ignored', async () => {
  const run = await runSmartem(['up', '--port', '0'], { ...NO_OIDC, SMARTEM_OIDC_ISSUER: 'keycloak/realms/smartem' });
  assert.equal(run.code, 2);
  assert.match(run.err, /^smartem up: SMARTEM_OIDC_ISSUER must be the provider's issuer URL, got 'keycloak\/realms\/smartem'\n$/);
});

test('exposure rules: loopback names and addresses, --insecure turns a refusal into a warning', async () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.equal(await isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.1.2.3', 'no-such-host.invalid']) assert.equal(await isLoopbackHost(host), false, host);
  const base = { command: 'smartem up', host: '0.0.0.0', authConfigured: false, insecure: false, networkService: false };
  assert.match((await checkExposure(base)).refuse ?? '', /refusing/);
  const insecure = await checkExposure({ ...base, insecure: true });
  assert.equal(insecure.refuse, undefined);
  assert.match(insecure.warn ?? '', /--insecure/);
  assert.deepEqual(await checkExposure({ ...base, authConfigured: true }), {});
  assert.deepEqual(await checkExposure({ ...base, host: '127.0.0.1' }), {});
  assert.match((await checkExposure({ ...base, host: '127.0.0.1', networkService: true })).refuse ?? '', /without authentication/);
});
