/** `smartem tools athena-mock` as a real child process: prints its URL, serves, records, stops cleanly on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SMARTEM = join(ROOT, 'packages/cli/bin/smartem.js');
const PUBLISHED = resolve(ROOT, '../shared/reference/athena/decision-service-openapi.json');

async function runMock(args: string[], exercise: (url: string) => Promise<void>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [SMARTEM, 'tools', 'athena-mock', '--port', '0', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) done(match[1]!);
    });
    child.on('exit', () => fail(new Error(`athena-mock exited before listening: ${stderr}`)));
  });
  try {
    await exercise(url);
  } finally {
    child.kill('SIGTERM');
  }
  return { code: await exited, stdout };
}

for (const spec of [undefined, PUBLISHED]) {
  test(`athena-mock ${spec ? 'with --spec (the published document)' : 'on its own document'}: serves, records, stops on SIGTERM`, async (t) => {
    if (spec && !existsSync(spec)) return t.skip(`the published Decision Service document is not at ${spec}`);
    const dir = mkdtempSync(join(tmpdir(), 'athena-mock-cli-'));
    const record = join(dir, 'requests.jsonl');
    try {
      const { code, stdout } = await runMock(['--record', record, ...(spec ? ['--spec', spec] : [])], async (url) => {
        const created = await fetch(`${url}/api/v1/Session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sessionName: 'cli' }),
        });
        assert.equal(created.status, 201);
        const bad = await fetch(`${url}/api/v1/Session/not-a-uuid`);
        assert.equal(bad.status, 400);
        assert.match(((await bad.json()) as { detail: string }).detail, /path parameter id/);
      });
      assert.equal(code, 0);
      assert.match(stdout, /athena-mock stopped/);
      const lines = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => [l.method, l.status]),
        [
          ['POST', 201],
          ['GET', 400],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('athena-mock refuses a bad --spec file or --port with a message naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'athena-mock-cli-'));
  try {
    const notJson = join(dir, 'spec.json');
    writeFileSync(notJson, '{ not json');
    const r1 = spawnSync(process.execPath, [SMARTEM, 'tools', 'athena-mock', '--spec', notJson], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r1.status, 1);
    assert.match(r1.stderr, /spec\.json is not JSON/);
    const swagger2 = join(dir, 'swagger2.json');
    writeFileSync(swagger2, JSON.stringify({ swagger: '2.0', openapi: '2.0', paths: {} }));
    const r2 = spawnSync(process.execPath, [SMARTEM, 'tools', 'athena-mock', '--spec', swagger2], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /swagger2\.json: OpenAPI 2\.0 is not supported/);
    const r3 = spawnSync(process.execPath, [SMARTEM, 'tools', 'athena-mock', '--port', 'eighty'], { cwd: ROOT, encoding: 'utf8' });
    assert.notEqual(r3.status, 0);
    assert.match(r3.stderr, /--port must be an integer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
