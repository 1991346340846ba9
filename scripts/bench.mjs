#!/usr/bin/env node
// `npm run bench -- NAME [args…]` runs bench/NAME.ts (through tsx) with the remaining arguments, on the TypeScript
// sources: the `smartem-source` export condition, through NODE_OPTIONS, reaches the processes a bench starts too.
import { existsSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(new URL('../bench', import.meta.url))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
if (!name || !existsSync(`${root}bench/${name}.ts`)) {
  console.error(`usage: npm run bench -- NAME [args…]   (NAME: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', `${root}bench/${name}.ts`, ...rest], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=smartem-source`.trim() },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
