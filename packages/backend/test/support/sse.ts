/** The API over real HTTP on a test database, and SSE streams read from it into arrays as events arrive. */
import type { AddressInfo } from 'node:net';
import { connectSse, type SseEvent } from '@smartem/client';
import { createLogger } from '@smartem/common';
import { buildApp, type App } from '../../src/http/app.ts';
import type { DatabaseHandle } from '../../src/db/index.ts';

export interface ServedApi {
  app: App;
  url: string;
}

/** Serves the API on a free loopback port; heartbeats every 0.2 s so tests see them soon. */
export async function serveHttp(handle: Pick<DatabaseHandle, 'db' | 'listen'>): Promise<ServedApi> {
  const app = await buildApp({
    db: handle.db,
    log: createLogger({ level: 'silent', pretty: false }),
    listen: handle.listen,
    instructionHeartbeatSeconds: 0.2,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

export interface CollectedStream {
  /** Every event read so far, in order. */
  events: SseEvent[];
  /** Stops reading (aborts the request) and waits until the reader has finished. */
  close(): Promise<void>;
}

/** Opens an SSE stream (resuming after `lastEventId` when given) and keeps reading it into `events` until closed. */
export async function collectSse(url: string, lastEventId?: string): Promise<CollectedStream> {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  const stream = await connectSse({ url, lastEventId, signal: controller.signal });
  const reading = (async () => {
    try {
      for await (const e of stream) events.push(e);
    } catch {
      // aborted
    }
  })();
  return {
    events,
    async close() {
      controller.abort();
      await reading;
    },
  };
}
