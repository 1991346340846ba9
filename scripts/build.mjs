#!/usr/bin/env node
// `npm run build`: compiles every package's TypeScript sources (packages/<name>/src, tests excluded) to JavaScript in
// packages/<name>/dist, then builds the dashboard (packages/web/dist) with Vite. Each file is compiled on its own by
// TypeScript's emitter (the sources are written for it: `verbatimModuleSyntax`), with relative `.ts` import
// specifiers rewritten to `.js`; type-checking is `npm run typecheck`'s job, which keeps this step to a few seconds.
// The dashboard package is not compiled here: its dist is the Vite output, and its build script runs from source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');
const quiet = process.argv.includes('--quiet');
const started = Date.now();

const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = {
  ...options,
  noEmit: false,
  // Every package is `"type": "module"`; a file compiled on its own does not see that, so ESM is asked for directly.
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: false,
  rewriteRelativeImportExtensions: true,
  declaration: false,
  sourceMap: false,
};

function sources(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

let files = 0;
for (const pkg of readdirSync(packagesDir)) {
  if (pkg === 'web') continue;
  const src = join(packagesDir, pkg, 'src');
  const dist = join(packagesDir, pkg, 'dist');
  try {
    statSync(src);
  } catch {
    continue;
  }
  rmSync(dist, { recursive: true, force: true });
  for (const file of sources(src)) {
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions,
      fileName: file,
      reportDiagnostics: true,
    });
    if (diagnostics?.length) {
      console.error(
        ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
      );
      process.exit(1);
    }
    const target = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    files++;
  }
}
if (!quiet) console.log(`compiled ${files} files into packages/*/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const web = spawnSync(process.execPath, ['--import', 'tsx', join(packagesDir, 'web/src/build.ts')], {
  cwd: root,
  stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
});
if (web.status !== 0) process.exit(web.status ?? 1);
