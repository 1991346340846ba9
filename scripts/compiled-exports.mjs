#!/usr/bin/env node
// Rewrites every package's `exports` map (packages/web excepted: it is not compiled) so each entry resolves to the
// compiled file by default and to the TypeScript source under the `smartem-source` condition:
//   "./cli": "./src/cli.ts"  →  "./cli": { "smartem-source": "./src/cli.ts", "default": "./dist/cli.js" }
// Idempotent; run it after adding an entry as a plain source path. package-boundaries.test.ts checks the result.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../packages', import.meta.url));

export function compiledEntry(value) {
  const source = typeof value === 'string' ? value : value['smartem-source'];
  if (!/^\.\/src\/.+\.ts$/.test(source)) throw new Error(`export ${JSON.stringify(value)} is not a ./src/*.ts path`);
  return { 'smartem-source': source, default: source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js') };
}

for (const dir of readdirSync(packagesDir)) {
  if (dir === 'web') continue;
  const file = join(packagesDir, dir, 'package.json');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  const manifest = JSON.parse(text);
  if (!manifest.exports) continue;
  manifest.exports = Object.fromEntries(Object.entries(manifest.exports).map(([key, value]) => [key, compiledEntry(value)]));
  const updated = `${JSON.stringify(manifest, null, 2)}\n`;
  if (updated !== text) {
    writeFileSync(file, updated);
    console.log(`rewrote ${dir}/package.json exports`);
  }
}
