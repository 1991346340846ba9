import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a Prometheus registry offers (prom-client's `Registry`), so this module needs no metrics library. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/**
 * A plain HTTP server for processes without an API of their own (`smartem backend worker`, `smartem agent watch`,
 * each with `--metrics-port N`): `GET /metrics` (Prometheus text format) and `GET /health`, nothing else. Resolves once
 * listening; rejects with the reason (port in use, say) otherwise.
 */
export async function serveMetrics(source: MetricsSource, opts: { port: number; host?: string }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
    } else if (path === '/metrics') {
      source.metrics().then(
        (body) => response.writeHead(200, { 'content-type': source.contentType }).end(body),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${error.message}\n`),
      );
    } else if (path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this server answers /metrics and /health\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  // Keep-alive connections from a scraper must not hold the process open at shutdown.
  server.unref();
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * prom-client's default metrics include three gauges named like counters (`nodejs_active_handles_total`,
 * `nodejs_active_requests_total`, `nodejs_active_resources_total`), which `promtool check metrics` rejects; the same
 * numbers remain by type in `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources`.
 */
export function dropMisnamedDefaultMetrics(registry: { removeSingleMetric(name: string): void }, prefix: string): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`${prefix}${name}`);
  }
}
