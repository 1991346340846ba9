/**
 * The operator dashboard (`packages/web`, built into its `dist/`) served under `/ui/`: hashed assets with a year's
 * cache, `index.html` for every other `/ui/*` path (the app routes deep links itself), and `GET /` from a browser
 * redirected to `/ui/`. API clients asking for `/` still get the API's 404. `SMARTEM_UI_DIR` points elsewhere (an
 * installed image); without a build, `/ui/` answers 503 naming the command that builds it.
 */
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from './errors.ts';

const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));
const ASSETS = 'assets/';

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

export async function uiRoutes(app: FastifyInstance): Promise<void> {
  const dir = resolve(process.env.SMARTEM_UI_DIR || DEFAULT_UI_DIR);
  const built = existsSync(join(dir, 'index.html'));
  const hide = { schema: { hide: true } };

  app.get('/', hide, async (request, reply) => {
    if (wantsHtml(request)) return reply.redirect('/ui/', 302);
    return reply
      .status(404)
      .type('application/problem+json')
      .send(problem(404, 'Not Found', request.url));
  });
  app.get('/ui', hide, async (_request, reply) => reply.redirect('/ui/', 301));

  if (!built) {
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The dashboard is not built (${dir} has no index.html): run \`npm run build:web\`.\n`);
    app.get('/ui/', hide, notBuilt);
    app.get('/ui/*', hide, notBuilt);
    return;
  }

  const { default: fastifyStatic } = await import('@fastify/static');
  // `serve: false`: only `reply.sendFile`, rooted at `dir` (which refuses paths leaving it); files are looked up per
  // request, so a rebuild is served without a restart.
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/ui/', hide, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }),
  );
  // Hashed assets, or a missing one as a 404 (so a stale page fails visibly); any other path is a deep link
  // (`/ui/grids/…`) and gets the app, which routes itself.
  app.get('/ui/*', hide, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    if (path.startsWith(ASSETS)) {
      const file = resolve(dir, path);
      if (!file.startsWith(dir + sep) || !existsSync(file))
        return reply
          .status(404)
          .type('application/problem+json')
          .send(problem(404, 'Not Found', request.url));
      return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(path, { cacheControl: false });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
}
