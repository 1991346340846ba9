import type { Logger } from '@smartem/common';
import type { Bus } from '@smartem/backend';
import { asBusMessage } from './messages.ts';

/** Where simulated messages go: the HTTP API of a running backend, or the bus queue the worker consumes. */
export interface Transport {
  /** Sends processing results; resolves to the HTTP outcomes ('updated' / 'unchanged') or 'published'. */
  sendProcessing(route: string, message: Record<string, unknown>): Promise<string>;
  publish(messages: Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, `${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export function httpTransport(base: string): Transport {
  return {
    async sendProcessing(route, message) {
      const { micrograph_uuid, event_type, ...body } = message;
      void event_type;
      const out = await api<{ outcome: string }>(
        base,
        'POST',
        `/micrographs/${encodeURIComponent(String(micrograph_uuid))}/${route}`,
        body,
      );
      return out.outcome;
    },
    async publish() {
      throw new Error('entity events and rogue messages only go to the bus: give --amqp URL (or set AMQP_URL) instead of --api');
    },
    async close() {},
  };
}

export async function busTransport(amqpUrl: string, queue: string, log: Logger): Promise<Transport> {
  const { createBus } = await import('@smartem/backend');
  const bus: Bus = await createBus({ amqpUrl, queue, log, connectionName: 'smartem-simulate-msg' });
  return {
    async sendProcessing(_route, message) {
      await bus.publish([asBusMessage(message)]);
      return 'published';
    },
    async publish(messages) {
      await bus.publish(messages.map(asBusMessage));
    },
    close: () => bus.close(),
  };
}
