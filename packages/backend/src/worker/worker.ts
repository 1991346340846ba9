import type { Logger } from '@smartem/common';
import type { Db } from '../db/index.ts';
import type { Bus, MessageHandler } from '../bus/types.ts';
import { PermanentMessageError, TransientMessageError } from '../bus/errors.ts';
import { isUnreachableError } from '../db/unreachable.ts';
import { handlerFamilies, type EventHandler, type HandlerFamily } from './handlers/index.ts';

/** event_type → its handlers, in family order. */
export function buildHandlerRegistry(families: readonly HandlerFamily[]): Map<string, EventHandler[]> {
  const registry = new Map<string, EventHandler[]>();
  for (const family of families) {
    for (const [eventType, handler] of Object.entries(family)) {
      const list = registry.get(eventType) ?? [];
      list.push(handler);
      registry.set(eventType, list);
    }
  }
  return registry;
}

/**
 * The bus handler: dispatch on `event_type`; an event type nobody handles is dead-lettered with the reason; a database that cannot be reached puts the message back without using up
 * an attempt.
 */
export function createDispatcher(opts: { db: Db; log: Logger; families?: readonly HandlerFamily[] }): MessageHandler {
  const registry = buildHandlerRegistry(opts.families ?? handlerFamilies);
  return async (message, info) => {
    const handlers = registry.get(message.event_type);
    if (!handlers) throw new PermanentMessageError(`no handler registered for event type "${message.event_type}"`);
    const log = opts.log.child({ event_type: message.event_type });
    try {
      for (const handler of handlers) await handler(message, { db: opts.db, log, info });
    } catch (err) {
      if (isUnreachableError(err)) throw new TransientMessageError(`database unreachable: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  };
}

/** Consume the bus's main queue with the registered handler families until `stop()`. */
export async function startWorker(opts: {
  db: Db;
  bus: Bus;
  log: Logger;
  prefetch?: number;
  families?: readonly HandlerFamily[];
}): Promise<{ stop(): Promise<void> }> {
  const dispatch = createDispatcher(opts);
  const consumer = await opts.bus.consume(dispatch, { prefetch: opts.prefetch ?? 10 });
  opts.log.info({ queue: opts.bus.queue, bus: opts.bus.kind, prefetch: opts.prefetch ?? 10 }, 'worker consuming');
  return { stop: () => consumer.stop() };
}
