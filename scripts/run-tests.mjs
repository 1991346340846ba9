#!/usr/bin/env node
// Runs every *.test.ts under packages/*/src and packages/*/test with node's test runner through tsx, on the
// TypeScript sources: the `smartem-source` export condition makes workspace imports resolve to src/, not dist/.
// Node 20's --test does not expand globs, so the files are collected here. Extra arguments filter by path substring.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  collect(join(root, 'packages', pkg, 'src'), files);
  collect(join(root, 'packages', pkg, 'test'), files);
}
const selected = files
  .map((f) => f.slice(root.length))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...passThrough, ...selected];
// Through NODE_OPTIONS the condition reaches every process the tests start too (`node packages/cli/bin/smartem.js …`).
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=smartem-source`.trim() };
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
