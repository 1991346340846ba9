import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfigError, agentSetting, parseAgentConfig, readAgentConfig, resolveAgentAuth } from './auth-config.ts';
import { ClientCredentialsTokenSource } from './auth.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'smartem-agent-config-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CREDENTIALS =
  'SMARTEM_OIDC_ISSUER=https://id.example.org/realms/smartem\nSMARTEM_AGENT_CLIENT_ID=agent-pc\nSMARTEM_AGENT_CLIENT_SECRET="s3cr=t"\n';

test('config files: comments, blank lines, export, quotes; unknown keys and junk lines are named with file and line', () => {
  const parsed = parseAgentConfig(
    "# agent\n\nexport SMARTEM_API_URL = http://backend:8000\nSMARTEM_AGENT_CLIENT_SECRET='a b=c'\n",
    'f.env',
  );
  assert.deepEqual(parsed, { SMARTEM_API_URL: 'http://backend:8000', SMARTEM_AGENT_CLIENT_SECRET: 'a b=c' });
  assert.throws(
    () => parseAgentConfig('SMARTEM_API_URL=x\nSMARTEM_CLIENT_ID=y\n', 'f.env'),
    /^AgentConfigError: f\.env:2: unknown key SMARTEM_CLIENT_ID/,
  );
  assert.throws(() => parseAgentConfig('just words', 'f.env'), /f\.env:1: expected KEY=value/);
});

test('--config FILE supplies client credentials and the API URL; the environment wins over the file, the command line over both', () => {
  withDir((dir) => {
    const file = join(dir, 'agent.env');
    writeFileSync(file, `SMARTEM_API_URL=http://from-file:8000\n${CREDENTIALS}`, { mode: 0o600 });
    const fromFile = resolveAgentAuth({ configFile: file, env: {} });
    assert.equal(fromFile.api, 'http://from-file:8000');
    assert.ok(fromFile.auth instanceof ClientCredentialsTokenSource);
    assert.equal(fromFile.description, 'client credentials of agent-pc from https://id.example.org/realms/smartem');
    assert.equal(resolveAgentAuth({ configFile: file, env: { SMARTEM_API_URL: 'http://from-env:8000' } }).api, 'http://from-env:8000');
    assert.equal(
      resolveAgentAuth({ configFile: file, api: 'http://flag:8000', env: { SMARTEM_API_URL: 'http://from-env:8000' } }).api,
      'http://flag:8000',
    );
    assert.throws(
      () => resolveAgentAuth({ configFile: join(dir, 'missing.env'), env: {} }),
      /cannot read the config file .*missing\.env: ENOENT/,
    );
  });
});

test('smartem-agent.env beside the executable is read when present; nothing configured means no credentials', () => {
  withDir((dir) => {
    assert.deepEqual(resolveAgentAuth({ executableDir: dir, env: {} }), { api: undefined, description: 'no credentials' });
    writeFileSync(join(dir, 'smartem-agent.env'), CREDENTIALS, { mode: 0o600 });
    assert.ok(resolveAgentAuth({ executableDir: dir, env: {} }).auth instanceof ClientCredentialsTokenSource);
  });
});

test('a static token, half-given credentials or both kinds at once are explained, never echoing the secret', () => {
  assert.equal(resolveAgentAuth({ token: 'tok', env: {} }).description, 'static bearer token');
  assert.equal(resolveAgentAuth({ env: { SMARTEM_API_TOKEN: 'tok' } }).description, 'static bearer token');
  const half = () => resolveAgentAuth({ env: { SMARTEM_AGENT_CLIENT_ID: 'agent-pc', SMARTEM_AGENT_CLIENT_SECRET: 'hush-1234' } });
  assert.throws(
    half,
    (e: unknown) => e instanceof AgentConfigError && /need SMARTEM_OIDC_ISSUER as well/.test(e.message) && !e.message.includes('hush-1234'),
  );
  const both = () =>
    resolveAgentAuth({ token: 'tok', env: { SMARTEM_AGENT_CLIENT_ID: 'agent-pc', SMARTEM_AGENT_CLIENT_SECRET: 'hush-1234' } });
  assert.throws(both, /both a static token .* and client credentials/);
});

test('a config file with a secret that others can read draws a warning naming the file', {
  skip: process.platform === 'win32' && 'POSIX modes',
}, () => {
  withDir((dir) => {
    const file = join(dir, 'agent.env');
    writeFileSync(file, CREDENTIALS);
    chmodSync(file, 0o644);
    const warnings: Array<[object, string]> = [];
    resolveAgentAuth({ configFile: file, env: {}, log: { debug: () => {}, warn: (o, m) => void warnings.push([o, m]) } });
    assert.deepEqual(warnings, [[{ file }, 'the config file holds a client secret and is readable by other users (chmod 600 it)']]);
  });
});

test('the watch directory, state directory and log level come from the file too; the environment wins, blank is unset', () => {
  withDir((dir) => {
    writeFileSync(
      join(dir, 'smartem-agent.env'),
      'SMARTEM_AGENT_WATCH_DIR="D:\\EPU\\visit"\r\nSMARTEM_AGENT_STATE_DIR=C:\\ProgramData\\SmartEM\r\nSMARTEM_LOG_LEVEL=info\r\n',
    );
    const config = readAgentConfig({ executableDir: dir });
    assert.equal(config.file, join(dir, 'smartem-agent.env'));
    assert.equal(agentSetting(config, 'SMARTEM_AGENT_WATCH_DIR', {}), 'D:\\EPU\\visit');
    assert.equal(agentSetting(config, 'SMARTEM_AGENT_STATE_DIR', { SMARTEM_AGENT_STATE_DIR: ' ' }), 'C:\\ProgramData\\SmartEM');
    assert.equal(agentSetting(config, 'SMARTEM_LOG_LEVEL', { SMARTEM_LOG_LEVEL: 'debug' }), 'debug');
    assert.deepEqual(readAgentConfig({ executableDir: join(dir, 'elsewhere') }), { values: {} });
  });
});
