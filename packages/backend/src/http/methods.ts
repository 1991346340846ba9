/**
 * 405 Method Not Allowed: every route's method is recorded as it is registered, so a request that matches no route
 * can be told which methods its path does take (the `Allow` header) instead of a 404.
 */
import type { App } from './app.ts';

/** A route path (`/grids/:grid_uuid/atlas`) as a regular expression over request paths. */
function pathPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** Records every route (call before registering them); returns the methods a request path is allowed, sorted. */
export function installMethodNotAllowed(app: App): (url: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map(String);
    routes.push({ pattern: pathPattern(route.url), methods });
  });
  return (url) => {
    const path = url.split('?')[0]!;
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    return [...allowed].sort();
  };
}
