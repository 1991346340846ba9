/**
 * `smartem agent watch --config FILE` as a child process against a backend that enforces tokens from a real OpenID
 * provider: it syncs real EPU files with client credentials, stops at once on a refused secret, and prints neither.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../src/http/app.ts';
import { openTestDatabase, type TestDatabase } from './support/databases.ts';
import { SMARTEM_BIN } from './support/cli.ts';
import { startTestProvider, type TestProvider } from './support/oidc.ts';

const root = new URL('../../..', import.meta.url).pathname;
const sample = join(root, '../shared/epu-samples/EMharvest/_repo_data');
const skip = existsSync(sample) ? false : `real EPU samples not found at ${sample}`;
const SECRET = 'agent-e2e-secret-2b7c9d';

let idp: TestProvider;
let db: TestDatabase;
let app: Awaited<ReturnType<typeof buildApp>>;
let apiUrl: string;
let dir: string;

before(async () => {
  idp = await startTestProvider({ 'krios-1': { secret: SECRET, realmRoles: ['smartem-agent'] }, viewer: { secret: 'viewer-e2e' } });
  db = await openTestDatabase('pglite');
  app = await buildApp({
    db: db.handle.db,
    log: pino({ level: 'silent' }),
    auth: { issuer: idp.issuer, allowedAzp: ['krios-1', 'viewer'] },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'smartem-agent-auth-'));
});
after(async () => {
  await app?.close();
  await db?.drop();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function watch(config: string, state: string) {
  const child = spawn(process.execPath, [SMARTEM_BIN, 'agent', 'watch', sample, '--config', config, '--state', state, '-vv'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SMARTEM_API_URL: '',
      SMARTEM_API_TOKEN: '',
      SMARTEM_OIDC_ISSUER: '',
      SMARTEM_AGENT_CLIENT_ID: '',
      SMARTEM_AGENT_CLIENT_SECRET: '',
    },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

function configFile(name: string, secret: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `SMARTEM_API_URL=${apiUrl}\nSMARTEM_OIDC_ISSUER=${idp.issuer}\nSMARTEM_AGENT_CLIENT_ID=krios-1\nSMARTEM_AGENT_CLIENT_SECRET=${secret}\n`,
    { mode: 0o600 },
  );
  return file;
}

test('the agent syncs a real EPU visit with client credentials from its config file', { skip }, async () => {
  const agent = watch(configFile('good.env', SECRET), join(dir, 'state-good'));
  try {
    while (!agent.output().includes('caught up') && agent.child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    assert.equal(agent.child.exitCode, null, agent.output().slice(-2000));
  } finally {
    agent.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0, agent.output().slice(-2000));
  const viewer = await idp.token('viewer');
  const squares = await fetch(`${apiUrl}/gridsquares`, { headers: { authorization: `Bearer ${viewer}` } });
  assert.equal(((await squares.json()) as unknown[]).length, 272);
  assert.match(agent.output(), /client credentials of krios-1/);
  assert.ok(!agent.output().includes(SECRET), 'the secret is in the output');
  assert.doesNotMatch(agent.output(), /eyJ[\w-]+\.eyJ/, 'a token is in the output');
});

test("a refused client secret stops the agent at start-up with exit 1 and the provider's reason", { skip }, async () => {
  const agent = watch(configFile('bad.env', 'not-the-secret-77'), join(dir, 'state-bad'));
  assert.equal(await agent.exited, 1);
  assert.match(agent.output(), /error: HTTP 401 for POST .*token request refused \(invalid_client/);
  assert.ok(!agent.output().includes('not-the-secret-77'));
});
