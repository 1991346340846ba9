/**
 * The agent's Prometheus metrics (`smartem agent watch --metrics-port N`). Most are read from `watch.status()` when
 * Prometheus scrapes, so the watch keeps its own counts and nothing is counted twice; only the batch requests are
 * timed as they happen. Names and meanings are listed in docs/operations.md.
 */
import { dropMisnamedDefaultMetrics, serveMetrics, type MetricsServer } from '@smartem/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WatchStatus } from './watch.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'smartem_agent_' });
dropMisnamedDefaultMetrics(registry, 'smartem_agent_');

const batchPostDuration = new Histogram({
  name: 'smartem_agent_sync_request_duration_seconds',
  help: 'Duration of the batch requests that sync entities to the backend, by entity kind and outcome (ok: answered; error: failed or unreachable)',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Sends one batch request and records how long it took. */
export async function timeBatchPost<T>(kind: string, post: () => Promise<T>): Promise<T> {
  const end = batchPostDuration.startTimer({ kind });
  try {
    const result = await post();
    end({ outcome: 'ok' });
    return result;
  } catch (error) {
    end({ outcome: 'error' });
    throw error;
  }
}

/** The watch whose status the scrape-time metrics read (one per process). */
let readStatus: (() => WatchStatus) | undefined;

function gauge(name: string, help: string, value: (s: WatchStatus) => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      if (readStatus) this.set(value(readStatus()));
    },
  });
}

gauge('smartem_agent_watched_dir_present', '1 while the watched directory exists, 0 while it is gone', (s) => Number(s.dirPresent));
gauge('smartem_agent_files_seen', 'EPU files the agent knows of in the watched directory', (s) => s.files.seen);
gauge('smartem_agent_files_parsed', 'EPU files parsed at least once (of those seen)', (s) => s.files.parsed);
gauge('smartem_agent_files_broken', 'EPU files that stay unparseable after their retries', (s) => s.files.broken);
gauge('smartem_agent_files_oversize', 'Files named like EPU manifests but larger than --max-file-mb, left unread', (s) => s.files.oversize);
gauge('smartem_agent_files_queued', 'EPU files waiting to be read', (s) => s.files.queued);
gauge(
  'smartem_agent_reading_held',
  '1 while micrograph manifests are held unread until the backend catches up (backpressure), else 0',
  (s) => Number(s.files.holding),
);
gauge('smartem_agent_entities_pending', 'Entities parsed and not yet acknowledged by the backend (the backlog)', (s) => s.entities.pending);
gauge('smartem_agent_entities_synced', 'Entities whose current version the backend has acknowledged', (s) => s.entities.synced);
gauge('smartem_agent_entities_rejected', "Entities the backend (or the agent's own check) rejected", (s) => s.entities.failed);
gauge('smartem_agent_orphans', 'Entities waiting for a parent that has not been seen yet', (s) => s.entities.orphanTotal);
gauge(
  'smartem_agent_oldest_orphan_age_seconds',
  'How long the oldest orphan has waited (0 without orphans)',
  (s) => (s.entities.oldestOrphanMs ?? 0) / 1000,
);
gauge('smartem_agent_backend_up', '1 when the backend answered the last request, 0 while it is unavailable', (s) =>
  Number(s.sync.backendUp),
);
gauge('smartem_agent_journal_bytes', 'Size of the journal of unacknowledged work', (s) => s.journalBytes);

new Gauge({
  name: 'smartem_agent_entities',
  help: 'Entities the agent holds, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    if (!readStatus) return;
    for (const [kind, n] of Object.entries(readStatus().entities.entities)) this.set({ kind }, n);
  },
});

/** A counter kept by the watch itself: each scrape adds what it grew by since the last one. */
function counter(name: string, help: string, value: (s: WatchStatus) => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      if (!readStatus) return;
      const now = value(readStatus());
      if (now > last) this.inc(now - last);
      last = Math.max(last, now);
    },
  });
}

counter('smartem_agent_sync_batches_total', 'Batch requests the backend answered', (s) => s.sync.batches);
counter('smartem_agent_sync_items_sent_total', 'Entities sent in answered batch requests (resends included)', (s) => s.sync.sent);
counter('smartem_agent_file_retries_total', 'Reads of EPU files retried (a file caught half-written, say)', (s) => s.files.retries);

/** Serves this process's metrics, read from `status`, at `GET /metrics` until closed. */
export async function serveWatchMetrics(status: () => WatchStatus, opts: { port: number; host: string }): Promise<MetricsServer> {
  const server = await serveMetrics(registry, opts);
  readStatus = status;
  return {
    url: server.url,
    close: async () => {
      if (readStatus === status) readStatus = undefined;
      await server.close();
    },
  };
}
