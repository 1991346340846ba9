/**
 * The workspace's package boundaries: every package imports only what its package.json declares (and declares nothing
 * it does not import), never reaches into another package past its `exports` map, and no package depends on itself
 * through others — tests included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

interface Manifest {
  name: string;
  /** Entry → compiled file by default, TypeScript source under `smartem-source` (a plain path: the sources only). */
  exports?: Record<string, string | { 'smartem-source': string; default: string }>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const packages = readdirSync(packagesDir)
  .filter((name) => statSync(join(packagesDir, name)).isDirectory())
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as Manifest }));

function sourceFiles(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
const builtins = new Set(builtinModules);

/** Bare specifiers imported by the files of `dir`, split into package name and subpath. */
function importsOf(files: string[]): Array<{ file: string; pkg: string; subpath: string }> {
  const out: Array<{ file: string; pkg: string; subpath: string }> = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec || spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (builtins.has(pkg)) continue;
      out.push({ file: file.slice(packagesDir.length), pkg, subpath: spec.slice(pkg.length) });
    }
  }
  return out;
}

const byName = new Map(packages.map((p) => [p.manifest.name, p]));

test('every package declares what its code imports, and nothing more', () => {
  const problems: string[] = [];
  for (const { dir, manifest } of packages) {
    const runtime = importsOf(sourceFiles(join(packagesDir, dir, 'src')).filter((f) => !f.endsWith('.test.ts')));
    const tests = importsOf([
      ...sourceFiles(join(packagesDir, dir, 'test')),
      ...sourceFiles(join(packagesDir, dir, 'src')).filter((f) => f.endsWith('.test.ts')),
    ]);
    const deps = new Set(Object.keys(manifest.dependencies ?? {}));
    const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
    const usedRuntime = new Set(runtime.map((i) => i.pkg));
    const own = (i: { pkg: string }) => i.pkg === manifest.name;
    for (const i of runtime)
      if (!own(i) && !deps.has(i.pkg)) problems.push(`${i.file} imports ${i.pkg}, not in ${manifest.name}'s dependencies`);
    for (const i of tests)
      if (!own(i) && !deps.has(i.pkg) && !dev.has(i.pkg))
        problems.push(`${i.file} imports ${i.pkg}, not in ${manifest.name}'s dependencies or devDependencies`);
    const usedAll = new Set([...usedRuntime, ...tests.map((i) => i.pkg)]);
    for (const d of deps)
      if (!usedRuntime.has(d) && !KEPT_FOR_TOOLS.has(d)) problems.push(`${manifest.name} declares ${d} but its code does not import it`);
    for (const d of dev)
      if (!usedAll.has(d) && !KEPT_FOR_TOOLS.has(d)) problems.push(`${manifest.name} declares dev ${d} but nothing imports it`);
  }
  assert.deepEqual([...new Set(problems)], []);
});

/** Dependencies used by a command or a config file rather than an import. */
const KEPT_FOR_TOOLS = new Set(['tsx', 'drizzle-kit', 'pino-pretty', 'esbuild']);

test("no import reaches past another package's exports map", () => {
  const problems: string[] = [];
  for (const { dir } of packages) {
    for (const i of importsOf([...sourceFiles(join(packagesDir, dir, 'src')), ...sourceFiles(join(packagesDir, dir, 'test'))])) {
      const target = byName.get(i.pkg);
      if (!target || i.pkg === byName.get(`@smartem/${dir}`)?.manifest.name) continue;
      const key = `.${i.subpath}`;
      if (!(target.manifest.exports && key in target.manifest.exports))
        problems.push(`${i.file} imports ${i.pkg}${i.subpath}, not in its exports`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every exports entry resolves to its compiled file by default and to its source under smartem-source', () => {
  const problems: string[] = [];
  for (const { dir, manifest } of packages) {
    // The dashboard's dist is its Vite output; its one entry (the build script) runs from source.
    if (dir === 'web') continue;
    for (const [key, value] of Object.entries(manifest.exports ?? {})) {
      const where = `${manifest.name} exports ${key}`;
      if (typeof value === 'string') {
        problems.push(`${where} is a plain path: run node scripts/compiled-exports.mjs`);
        continue;
      }
      const source = value['smartem-source'];
      if (!existsSync(join(packagesDir, dir, source))) problems.push(`${where}: ${source} does not exist`);
      const compiled = source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js');
      if (Object.keys(value).join() !== 'smartem-source,default' || value.default !== compiled) {
        problems.push(`${where} should be { "smartem-source": "${source}", "default": "${compiled}" }`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the workspace packages form no dependency cycle, tests included', () => {
  const edges = new Map<string, Set<string>>();
  for (const { manifest } of packages) {
    const all = { ...manifest.dependencies, ...manifest.devDependencies };
    edges.set(manifest.name, new Set(Object.keys(all).filter((d) => byName.has(d))));
  }
  const cycles: string[] = [];
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) {
      cycles.push([...path.slice(path.indexOf(name)), name].join(' -> '));
      return;
    }
    for (const next of edges.get(name) ?? []) visit(next, [...path, name]);
  };
  for (const name of edges.keys()) visit(name, []);
  assert.deepEqual([...new Set(cycles)], []);
});
