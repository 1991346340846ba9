/**
 * The backend's Prometheus metrics: one registry per process, served at `GET /metrics` by the API and, for
 * `smartem backend worker --metrics-port N`, by a small HTTP server of its own. In embedded mode (`smartem up`) the
 * worker runs in the API's process, so its metrics appear on the API's `/metrics`. Names and meanings are listed in
 * docs/operations.md.
 */
import type { FastifyInstance } from 'fastify';
import { dropMisnamedDefaultMetrics, serveMetrics, type MetricsServer } from '@smartem/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './db/index.ts';
import { pendingOutbox } from './repositories/outbox.ts';
import type { DeliveryOutcome } from './bus/delivery.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'smartem_' });
dropMisnamedDefaultMetrics(registry, 'smartem_');

/** Seconds: 1 ms … 10 s, for requests, handlers and rankings alike. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const httpRequests = new Counter({
  name: 'smartem_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
const httpDuration = new Histogram({
  name: 'smartem_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to sending the last byte of its response, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

const entitiesIngested = new Counter({
  name: 'smartem_entities_ingested_total',
  help: 'Entities written through the API, by entity kind and outcome (created or updated; unchanged ones are not counted)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

const outboxPublished = new Counter({
  name: 'smartem_outbox_published_total',
  help: 'Outbox events the relay of this process published to the bus',
  registers: [registry],
});

const sseClients = new Gauge({
  name: 'smartem_sse_clients',
  help: 'Server-sent-event streams open on this process, by route pattern',
  labelNames: ['route'] as const,
  registers: [registry],
});

const rankingDuration = new Histogram({
  name: 'smartem_decision_recompute_duration_seconds',
  help: 'Time to load a grid and recompute its live ranking, by what was ranked (squares of a grid, holes of a square)',
  labelNames: ['ranking'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

const eventsHandled = new Counter({
  name: 'smartem_worker_events_handled_total',
  help: 'Bus events the worker handled successfully, by event type',
  labelNames: ['event_type'] as const,
  registers: [registry],
});
const eventsFailed = new Counter({
  name: 'smartem_worker_events_failed_total',
  help: 'Bus event deliveries whose handling failed (retried, put back or dead-lettered), by event type',
  labelNames: ['event_type'] as const,
  registers: [registry],
});
const deadLetters = new Counter({
  name: 'smartem_worker_dead_letters_total',
  help: 'Bus messages the worker dead-lettered (malformed, not retryable, or failed every attempt), by event type',
  labelNames: ['event_type'] as const,
  registers: [registry],
});
const handlerDuration = new Histogram({
  name: 'smartem_worker_handler_duration_seconds',
  help: 'Time the worker spent on one delivery of a bus event, by event type',
  labelNames: ['event_type'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** The database whose outbox the depth and lag gauges read at scrape time (the process has one). */
let outboxDb: Db | undefined;

interface OutboxState {
  depth: number;
  oldestAgeSeconds: number;
}

/** One read per scrape serves both gauges. */
let pendingRead: Promise<OutboxState | undefined> | undefined;
function outboxState(): Promise<OutboxState | undefined> {
  if (!outboxDb) return Promise.resolve(undefined);
  pendingRead ??= pendingOutbox(outboxDb)
    .then(({ waiting, oldest }): OutboxState => ({ depth: Number(waiting), oldestAgeSeconds: Number(oldest) }))
    .catch(() => undefined) // a database that cannot answer: the gauges keep their last values
    .finally(() => setTimeout(() => (pendingRead = undefined), 0));
  return pendingRead;
}

new Gauge({
  name: 'smartem_outbox_depth',
  help: 'Outbox events written and not yet published to the bus',
  registers: [registry],
  async collect() {
    const state = await outboxState();
    if (state) this.set(state.depth);
  },
});
new Gauge({
  name: 'smartem_outbox_lag_seconds',
  help: 'Age of the oldest outbox event not yet published (0 when the outbox is empty)',
  registers: [registry],
  async collect() {
    const state = await outboxState();
    if (state) this.set(state.oldestAgeSeconds);
  },
});

/** The outbox gauges read this database until the returned function is called. */
export function watchOutbox(db: Db): () => void {
  outboxDb = db;
  return () => {
    if (outboxDb === db) outboxDb = undefined;
  };
}

export function countOutboxPublished(n: number): void {
  if (n > 0) outboxPublished.inc(n);
}

/** Counts a write's results: `kind` is the entity's event name (`gridsquare`, `atlas_tile`, …). */
export function countIngested(kind: string, results: ReadonlyArray<{ outcome: string }>): void {
  let created = 0;
  let updated = 0;
  for (const r of results) {
    if (r.outcome === 'created') created++;
    else if (r.outcome === 'updated') updated++;
  }
  if (created) entitiesIngested.inc({ kind, outcome: 'created' }, created);
  if (updated) entitiesIngested.inc({ kind, outcome: 'updated' }, updated);
}

/** An SSE stream opened on `route`; call the returned function once when it closes. */
export function sseClientConnected(route: string): () => void {
  sseClients.inc({ route });
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    sseClients.dec({ route });
  };
}

/** Runs a live ranking and records how long it took. */
export async function timeRanking<T>(ranking: 'squares' | 'holes', compute: () => Promise<T>): Promise<T> {
  const end = rankingDuration.startTimer({ ranking });
  try {
    return await compute();
  } finally {
    end();
  }
}

/** Event types as label values: well-formed names, at most `MAX_EVENT_TYPES` of them; anything else is `other`. */
const MAX_EVENT_TYPES = 200;
const eventTypesSeen = new Set<string>();
function eventTypeLabel(eventType: string | undefined): string {
  if (eventType === undefined) return 'malformed';
  if (eventTypesSeen.has(eventType)) return eventType;
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/.test(eventType) || eventType.length > 80 || eventTypesSeen.size >= MAX_EVENT_TYPES)
    return 'other';
  eventTypesSeen.add(eventType);
  return eventType;
}

/** Records one bus delivery (`undefined`: not a message at all): its outcome and the time its handler took. */
export function recordDelivery(type: string | undefined, outcome: DeliveryOutcome, seconds: number): void {
  const eventType = eventTypeLabel(type);
  handlerDuration.observe({ event_type: eventType }, seconds);
  if (outcome.action === 'ack') eventsHandled.inc({ event_type: eventType });
  else eventsFailed.inc({ event_type: eventType });
  if (outcome.action === 'dead') deadLetters.inc({ event_type: eventType });
}

/**
 * `GET /metrics` on the API, and the request counter/histogram for every route. Requests that matched no route are
 * counted under the route `unmatched`, so a scan of random URLs cannot add label values without bound.
 */
export function installMetrics(app: FastifyInstance, opts: { db: Db }): void {
  const unwatch = watchOutbox(opts.db);
  app.addHook('onClose', async () => unwatch());
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}

/** `smartem backend worker --metrics-port N`: this process's metrics (and its outbox's) on a server of their own. */
export async function serveBackendMetrics(db: Db, opts: { port: number; host: string }): Promise<MetricsServer> {
  const server = await serveMetrics(registry, opts);
  const unwatch = watchOutbox(db);
  return {
    url: server.url,
    close: async () => {
      unwatch();
      await server.close();
    },
  };
}
