#!/usr/bin/env node
// Runs the compiled release (dist/, made by `npm run build`, which `npm ci` runs) when it is there. The TypeScript
// sources run instead, through tsx, under the `smartem-source` export condition (tests and benches set it) or when
// dist/ is missing; then every workspace import must resolve to src/ too, so the condition is added by a resolve hook.
import { existsSync } from 'node:fs';

const SOURCE_CONDITION = 'smartem-source';
const compiled = new URL('../dist/main.js', import.meta.url);
const common = new URL(import.meta.resolve('@smartem/common'));
const sourceRequested = common.pathname.endsWith('.ts');

if (!sourceRequested && existsSync(compiled) && existsSync(common)) {
  await import(compiled.href);
} else {
  const { register } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  if (!sourceRequested) {
    const hook = `export function resolve(specifier, context, next) {
      return next(specifier, { ...context, conditions: [...context.conditions, ${JSON.stringify(SOURCE_CONDITION)}] });
    }`;
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
  }
  await import('../src/main.ts');
}
