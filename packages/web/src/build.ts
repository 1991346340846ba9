/**
 * Builds the dashboard into `packages/web/dist` (served by the backend under `/ui/`). Run at `npm ci` (the root
 * `prepare` script) and by `npm run build:web`; quiet unless something fails.
 */
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions } from 'vite';
import react from '@vitejs/plugin-react';

export const APP_DIR = fileURLToPath(new URL('./app', import.meta.url));
export const DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));

export async function buildDashboard(opts: { quiet?: boolean } = {}): Promise<void> {
  await build({
    root: APP_DIR,
    base: '/ui/',
    configFile: false,
    logLevel: opts.quiet === false ? 'info' : 'warn',
    plugins: [react()],
    // The workspace packages' sources, not their last build.
    resolve: { conditions: ['smartem-source', ...defaultClientConditions] },
    build: { outDir: DIST_DIR, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 400 },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  await buildDashboard({ quiet: !process.argv.includes('-v') });
  process.stdout.write(`dashboard built into ${DIST_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
