/**
 * The compiled release: `npm run build`'s output runs on its own. `smartem --version` started without the
 * `smartem-source` condition runs dist/ and never resolves tsx or a TypeScript file (a resolve hook fails the process
 * if it does); with the condition, the same command runs the sources — which the hook catches, so it can fail.
 * Start-up stays light: of the dependencies, only commander is imported before a command runs (each command imports
 * what it uses when it runs), which the hook checks too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VERSION } from '@smartem/common';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repoRoot, 'packages/cli/bin/smartem.js');

function withoutSourceCondition(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  env.NODE_OPTIONS = (env.NODE_OPTIONS ?? '').replace(/--conditions=smartem-source/g, '').trim();
  return env;
}

test('the built CLI runs without tsx or any TypeScript file', (t) => {
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '--quiet'], {
    cwd: repoRoot,
    env: withoutSourceCondition(),
    stdio: 'inherit',
  });
  const dir = mkdtempSync(join(tmpdir(), 'smartem-compiled-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { builtinModules } from 'node:module';
    export async function resolve(specifier, context, next) {
      if (specifier === 'tsx' || specifier.startsWith('tsx/') || /\\.[cm]?ts$/.test(specifier)) throw new Error('resolved from source: ' + specifier);
      const bare = !/^(\\.|\\/|file:|node:|data:)/.test(specifier) && !builtinModules.includes(specifier);
      if (bare && specifier !== 'commander' && !specifier.startsWith('@smartem/')) throw new Error('imported at start-up: ' + specifier);
      return next(specifier, context);
    }\n`,
  );
  const guard = join(dir, 'guard.mjs');
  writeFileSync(guard, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

  const compiled = spawnSync(process.execPath, ['--import', pathToFileURL(guard).href, bin, '--version'], {
    cwd: dir,
    env: withoutSourceCondition(),
    encoding: 'utf8',
  });
  assert.equal(compiled.stderr, '');
  assert.equal(compiled.stdout.trim(), VERSION);
  assert.equal(compiled.status, 0);

  const source = spawnSync(process.execPath, ['--conditions=smartem-source', '--import', pathToFileURL(guard).href, bin, '--version'], {
    cwd: dir,
    env: withoutSourceCondition(),
    encoding: 'utf8',
  });
  assert.notEqual(source.status, 0);
  assert.match(source.stderr, /resolved from source: (tsx|.*\.ts)/);
});
